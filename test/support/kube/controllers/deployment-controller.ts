import type { ClusterState, KubeObject } from '../cluster-state.js';
import type { EventRecorder } from './events.js';
import {
  copiedAnnotations,
  deploymentSpec,
  desiredReplicas,
  DESIRED_REPLICAS,
  fenceposts,
  HASH_LABEL,
  MAX_REPLICAS,
  REVISION,
  REVISION_HISTORY,
  sameTemplate,
  viewReplicaSet,
  type PodTemplate,
  type ReplicaSetView,
} from './deployment-model.js';
import { scaleNewForRolling, scaleOldForRolling, type Scale } from './deployment-rollout.js';
import { deploymentStatus, setCondition } from './deployment-status.js';
import { ownedBy, ownerReference, templateHash, writeStatus } from './kube-util.js';

/**
 * The Deployment controller: one ReplicaSet per pod template (reused when a template comes back,
 * with the next revision), rolled by RollingUpdate or Recreate, history pruned, status written.
 */
export class DeploymentController {
  constructor(
    private readonly state: ClusterState,
    private readonly events: EventRecorder,
  ) {}

  sync(): void {
    for (const d of this.state.list('deployments')) if (d.metadata.deletionTimestamp === undefined) this.syncOne(d);
  }

  private syncOne(d: KubeObject): void {
    const namespace = d.metadata.namespace ?? 'default';
    const spec = deploymentSpec(d);
    let sets = this.state.list('replicasets', namespace).filter((rs) => ownedBy(rs, d)).map(viewReplicaSet);
    let newRS = sets.find((rs) => sameTemplate((rs.object['spec'] as { template: PodTemplate }).template, spec.template));
    let seeded: ReturnType<typeof setCondition> | undefined;
    const old = (): ReplicaSetView[] => sets.filter((rs) => rs !== newRS);
    const nextRevision = Math.max(0, ...old().map((rs) => rs.revision)) + 1;
    const conditions = ((d['status'] ?? {}) as { conditions?: Parameters<typeof setCondition>[0] }).conditions ?? [];
    const recreate = spec.strategy?.type === 'Recreate';
    const oldPodsGone = (): boolean => old().every((rs) => this.state.list('pods', namespace).every((p) => !ownedBy(p, rs.object)));

    if (!spec.paused) {
      if (newRS) {
        newRS = viewReplicaSet(this.syncAnnotations(d, newRS.object, nextRevision));
        sets = sets.map((rs) => (rs.name === newRS?.name ? newRS : rs));
        if (!conditions.some((c) => c.type === 'Progressing')) seeded = setCondition(conditions, 'Progressing', 'True', 'FoundNewReplicaSet', `Found new replica set "${newRS.name}"`);
      } else if (!recreate || oldPodsGone()) {
        newRS = viewReplicaSet(this.createReplicaSet(d, nextRevision));
        sets.push(newRS);
        seeded = setCondition(conditions, 'Progressing', 'True', 'NewReplicaSetCreated', `Created new replica set "${newRS.name}"`, true);
      }
      this.setDeploymentRevision(d, newRS?.revision);
      const { surge, unavailable } = fenceposts(d);
      const replicas = desiredReplicas(d);
      const scales: Scale[] = [];
      if (recreate) {
        for (const rs of old()) if (rs.replicas > 0) scales.push({ rs, to: 0 });
        if (newRS && scales.length === 0 && oldPodsGone() && newRS.replicas !== replicas) scales.push({ rs: newRS, to: replicas });
      } else if (newRS) {
        const up = scaleNewForRolling(replicas, surge, newRS, sets);
        if (up) scales.push(up);
        else scales.push(...scaleOldForRolling(replicas, unavailable, newRS, old()));
      }
      for (const scale of scales) this.scale(d, scale, replicas + surge);
      if (scales.length === 0 && newRS && newRS.available === replicas && newRS.statusReplicas === replicas && old().every((rs) => rs.replicas === 0)) this.prune(d, old());
    }
    const fresh = this.state.list('replicasets', namespace).filter((rs) => ownedBy(rs, d)).map(viewReplicaSet);
    const freshNew = newRS ? fresh.find((rs) => rs.name === newRS?.name) : undefined;
    writeStatus(this.state, 'deployments', namespace, d.metadata.name, deploymentStatus(d, freshNew, fresh, seeded));
  }

  private createReplicaSet(d: KubeObject, revision: number): KubeObject {
    const spec = deploymentSpec(d);
    const hash = templateHash(spec.template, ((d['status'] ?? {}) as { collisionCount?: number }).collisionCount ?? 0);
    const labels = { ...(spec.template.metadata?.labels ?? {}), [HASH_LABEL]: hash };
    const { surge } = fenceposts(d);
    const rs = this.state.create('replicasets', {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: `${d.metadata.name}-${hash}`,
        namespace: d.metadata.namespace ?? 'default',
        labels,
        annotations: { ...copiedAnnotations(d), [REVISION]: String(revision), [DESIRED_REPLICAS]: String(desiredReplicas(d)), [MAX_REPLICAS]: String(desiredReplicas(d) + surge) },
        ownerReferences: [ownerReference(d)],
      },
      spec: {
        replicas: 0,
        minReadySeconds: spec.minReadySeconds ?? 0,
        selector: { matchLabels: { ...(spec.selector?.matchLabels ?? {}), [HASH_LABEL]: hash } },
        template: { ...structuredClone(spec.template), metadata: { ...(spec.template.metadata ?? {}), labels } },
      },
    });
    return rs;
  }

  /** SetNewReplicaSetAnnotations: the Deployment's annotations, and the next revision for a set that comes back. */
  private syncAnnotations(d: KubeObject, rs: KubeObject, nextRevision: number): KubeObject {
    const annotations = { ...(rs.metadata.annotations ?? {}), ...copiedAnnotations(d) };
    const had = Number(annotations[REVISION] ?? 0) || 0;
    if (had < nextRevision) {
      annotations[REVISION] = String(nextRevision);
      if (had > 0) annotations[REVISION_HISTORY] = [...(annotations[REVISION_HISTORY] ?? '').split(',').filter(Boolean), String(had)].join(',');
    }
    const minReadySeconds = deploymentSpec(d).minReadySeconds ?? 0;
    const rsSpec = rs['spec'] as { minReadySeconds?: number };
    if (JSON.stringify(annotations) === JSON.stringify(rs.metadata.annotations ?? {}) && (rsSpec.minReadySeconds ?? 0) === minReadySeconds) return rs;
    return this.state.update('replicasets', { ...rs, metadata: { ...rs.metadata, annotations }, spec: { ...rsSpec, minReadySeconds } });
  }

  private setDeploymentRevision(d: KubeObject, revision: number | undefined): void {
    if (revision === undefined || d.metadata.annotations?.[REVISION] === String(revision)) return;
    const current = this.state.get('deployments', d.metadata.namespace, d.metadata.name);
    if (!current) return;
    this.state.update('deployments', { ...current, metadata: { ...current.metadata, annotations: { ...(current.metadata.annotations ?? {}), [REVISION]: String(revision) } } });
  }

  private scale(d: KubeObject, { rs, to }: Scale, maxReplicas: number): void {
    const current = this.state.get('replicasets', rs.object.metadata.namespace, rs.name);
    if (!current) return;
    const annotations = { ...(current.metadata.annotations ?? {}), [DESIRED_REPLICAS]: String(desiredReplicas(d)), [MAX_REPLICAS]: String(maxReplicas) };
    this.state.update('replicasets', { ...current, metadata: { ...current.metadata, annotations }, spec: { ...(current['spec'] as object), replicas: to } });
    const verb = to > rs.replicas ? 'up' : 'down';
    this.events.record(d, 'Normal', 'ScalingReplicaSet', `Scaled ${verb} replica set ${rs.name} from ${rs.replicas} to ${to}`, 'deployment-controller');
  }

  /** cleanupDeployment: old sets with no pods beyond revisionHistoryLimit go, oldest revision first. */
  private prune(d: KubeObject, old: readonly ReplicaSetView[]): void {
    const limit = deploymentSpec(d).revisionHistoryLimit ?? 10;
    const idle = old.filter((rs) => rs.replicas === 0 && rs.statusReplicas === 0).sort((a, b) => a.revision - b.revision);
    for (const rs of idle.slice(0, Math.max(0, idle.length - limit))) this.state.delete('replicasets', rs.object.metadata.namespace, rs.name);
  }
}
