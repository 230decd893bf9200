import type { ClusterState, KubeObject } from '../cluster-state.js';
import type { EventRecorder } from './events.js';
import { omitZero, ownedBy, ownerReference, randomSuffix, requestPodDeletion, writeStatus } from './kube-util.js';

interface ReplicaSetSpec {
  replicas?: number;
  minReadySeconds?: number;
  template: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec: Record<string, unknown> };
}
interface PodStatusView {
  phase?: string;
  conditions?: Array<{ type: string; status: string; lastTransitionTime?: string }>;
  containerStatuses?: Array<{ restartCount?: number }>;
}

const statusOf = (pod: KubeObject): PodStatusView => (pod['status'] ?? {}) as PodStatusView;
const readyCondition = (pod: KubeObject) => statusOf(pod).conditions?.find((c) => c.type === 'Ready');
export const isPodReady = (pod: KubeObject): boolean => readyCondition(pod)?.status === 'True';

/** Ready for at least minReadySeconds (podutil.IsPodAvailable). */
export function isPodAvailable(pod: KubeObject, minReadySeconds: number, now = Date.now()): boolean {
  const ready = readyCondition(pod);
  if (ready?.status !== 'True') return false;
  if (minReadySeconds === 0) return true;
  return Date.parse(ready.lastTransitionTime ?? '') + minReadySeconds * 1000 <= now;
}

const isActive = (pod: KubeObject): boolean => pod.metadata.deletionTimestamp === undefined && !['Succeeded', 'Failed'].includes(statusOf(pod).phase ?? '');

/** Which pod goes first on scale-down (controller.ActivePods order): unscheduled, pending, not ready, restarted most, newest. */
function deletionRank(a: KubeObject, b: KubeObject): number {
  const phaseRank = (p: KubeObject): number => ({ Pending: 0, Unknown: 1, Running: 2 })[statusOf(p).phase ?? 'Pending'] ?? 0;
  const restarts = (p: KubeObject): number => Math.max(0, ...(statusOf(p).containerStatuses ?? []).map((c) => c.restartCount ?? 0));
  return (
    phaseRank(a) - phaseRank(b) ||
    Number(isPodReady(a)) - Number(isPodReady(b)) ||
    Date.parse(readyCondition(b)?.lastTransitionTime ?? '0') - Date.parse(readyCondition(a)?.lastTransitionTime ?? '0') ||
    restarts(b) - restarts(a) ||
    Date.parse(b.metadata.creationTimestamp ?? '0') - Date.parse(a.metadata.creationTimestamp ?? '0')
  );
}

/** The ReplicaSet controller: keeps spec.replicas active pods from the template, and the RS status. */
export function syncReplicaSets(state: ClusterState, events: EventRecorder, now = Date.now()): void {
  for (const rs of state.list('replicasets')) {
    if (rs.metadata.deletionTimestamp !== undefined) continue;
    const namespace = rs.metadata.namespace ?? 'default';
    const spec = rs['spec'] as ReplicaSetSpec;
    const owned = state.list('pods', namespace).filter((p) => ownedBy(p, rs));
    const active = owned.filter(isActive);
    const want = spec.replicas ?? 1;
    if (active.length < want) {
      for (let i = active.length; i < want; i += 1) {
        const pod = state.create('pods', {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: {
            name: `${rs.metadata.name}-${randomSuffix()}`,
            namespace,
            labels: { ...(spec.template.metadata?.labels ?? {}) },
            ...(spec.template.metadata?.annotations ? { annotations: { ...spec.template.metadata.annotations } } : {}),
            ownerReferences: [ownerReference(rs)],
          },
          spec: { restartPolicy: 'Always', terminationGracePeriodSeconds: 30, dnsPolicy: 'ClusterFirst', schedulerName: 'default-scheduler', ...structuredClone(spec.template.spec) },
          status: { phase: 'Pending', qosClass: 'BestEffort' },
        });
        active.push(pod);
        events.record(rs, 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata.name}`, 'replicaset-controller');
      }
    } else if (active.length > want) {
      const doomed = [...active].sort(deletionRank).slice(0, active.length - want);
      for (const pod of doomed) {
        requestPodDeletion(state, namespace, pod.metadata.name);
        events.record(rs, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`, 'replicaset-controller');
      }
    }
    const current = state.list('pods', namespace).filter((p) => ownedBy(p, rs) && isActive(p));
    const labels = spec.template.metadata?.labels ?? {};
    const minReady = spec.minReadySeconds ?? 0;
    writeStatus(state, 'replicasets', namespace, rs.metadata.name, {
      replicas: current.length,
      ...omitZero({
      fullyLabeledReplicas: current.filter((p) => Object.entries(labels).every(([k, v]) => p.metadata.labels?.[k] === v)).length,
      readyReplicas: current.filter(isPodReady).length,
      availableReplicas: current.filter((p) => isPodAvailable(p, minReady, now)).length,
      }),
      observedGeneration: rs.metadata.generation ?? 1,
    });
  }
}
