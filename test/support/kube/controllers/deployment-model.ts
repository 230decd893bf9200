import type { KubeObject } from '../cluster-state.js';
import { scaledValue, stableJson } from './kube-util.js';

export const REVISION = 'deployment.kubernetes.io/revision';
export const REVISION_HISTORY = 'deployment.kubernetes.io/revision-history';
export const DESIRED_REPLICAS = 'deployment.kubernetes.io/desired-replicas';
export const MAX_REPLICAS = 'deployment.kubernetes.io/max-replicas';
export const HASH_LABEL = 'pod-template-hash';

export interface PodTemplate {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: Record<string, unknown>;
}

export interface DeploymentSpec {
  replicas?: number;
  selector?: { matchLabels?: Record<string, string> };
  template: PodTemplate;
  strategy?: { type?: 'RollingUpdate' | 'Recreate'; rollingUpdate?: { maxSurge?: number | string; maxUnavailable?: number | string } };
  minReadySeconds?: number;
  revisionHistoryLimit?: number;
  progressDeadlineSeconds?: number;
  paused?: boolean;
}

export interface ReplicaSetView {
  readonly object: KubeObject;
  readonly name: string;
  readonly replicas: number;
  readonly statusReplicas: number;
  readonly ready: number;
  readonly available: number;
  readonly revision: number;
  readonly created: number;
}

export const deploymentSpec = (d: KubeObject): DeploymentSpec => d['spec'] as DeploymentSpec;
export const desiredReplicas = (d: KubeObject): number => deploymentSpec(d).replicas ?? 1;

export function viewReplicaSet(rs: KubeObject): ReplicaSetView {
  const status = (rs['status'] ?? {}) as { replicas?: number; readyReplicas?: number; availableReplicas?: number };
  return {
    object: rs,
    name: rs.metadata.name,
    replicas: (rs['spec'] as { replicas?: number }).replicas ?? 0,
    statusReplicas: status.replicas ?? 0,
    ready: status.readyReplicas ?? 0,
    available: status.availableReplicas ?? 0,
    revision: Number(rs.metadata.annotations?.[REVISION] ?? 0) || 0,
    created: Date.parse(rs.metadata.creationTimestamp ?? '0'),
  };
}

/** Templates equal once the pod-template-hash label is ignored (EqualIgnoreHash): what rollout undo relies on. */
export function sameTemplate(a: PodTemplate, b: PodTemplate): boolean {
  const strip = (t: PodTemplate): unknown => {
    const labels = { ...(t.metadata?.labels ?? {}) };
    delete labels[HASH_LABEL];
    return { ...t, metadata: { ...(t.metadata ?? {}), labels } };
  };
  return stableJson(strip(a)) === stableJson(strip(b));
}

/**
 * maxSurge and maxUnavailable resolved against replicas: surge rounds up, unavailable down, and
 * both zero makes unavailable 1 (ResolveFenceposts), so a rollout can always move.
 */
export function fenceposts(d: KubeObject): { surge: number; unavailable: number } {
  const spec = deploymentSpec(d);
  if (spec.strategy?.type === 'Recreate') return { surge: 0, unavailable: 0 };
  const replicas = desiredReplicas(d);
  const surge = scaledValue(spec.strategy?.rollingUpdate?.maxSurge, replicas, true, '25%');
  let unavailable = scaledValue(spec.strategy?.rollingUpdate?.maxUnavailable, replicas, false, '25%');
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable: Math.min(unavailable, replicas) };
}

/** The annotations a Deployment passes to its ReplicaSets: all but kubectl's last-applied and the controller's own. */
export function copiedAnnotations(d: KubeObject): Record<string, string> {
  return Object.fromEntries(
    Object.entries(d.metadata.annotations ?? {}).filter(([k]) => k !== 'kubectl.kubernetes.io/last-applied-configuration' && !k.startsWith('deployment.kubernetes.io/')),
  );
}
