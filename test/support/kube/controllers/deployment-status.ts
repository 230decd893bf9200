import type { KubeObject } from '../cluster-state.js';
import { desiredReplicas, deploymentSpec, fenceposts, type ReplicaSetView } from './deployment-model.js';
import { kubeTime, omitZero } from './kube-util.js';

interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastUpdateTime: string;
  lastTransitionTime: string;
}
interface Status {
  observedGeneration?: number;
  replicas?: number;
  updatedReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  unavailableReplicas?: number;
  conditions?: Condition[];
  collisionCount?: number;
}

/**
 * Sets a condition as SetDeploymentCondition does: same status and reason is no change; same
 * status keeps the transition time.
 */
export function setCondition(conditions: Condition[], type: string, status: Condition['status'], reason: string, message: string, refresh = false): Condition[] {
  const now = kubeTime();
  const current = conditions.find((c) => c.type === type);
  if (current && current.status === status && current.reason === reason && !refresh) return conditions;
  const next: Condition = { type, status, lastUpdateTime: now, lastTransitionTime: current?.status === status ? current.lastTransitionTime : now, reason, message };
  return [...conditions.filter((c) => c.type !== type), next];
}

const sum = (sets: readonly ReplicaSetView[], f: (rs: ReplicaSetView) => number): number => sets.reduce((n, rs) => n + f(rs), 0);

/**
 * The Deployment's status from its ReplicaSets (calculateStatus, syncRolloutStatus): counts,
 * Available by maxUnavailable, and Progressing: NewReplicaSetAvailable when complete,
 * ReplicaSetUpdated on any progress, ProgressDeadlineExceeded (False) once progressDeadlineSeconds
 * pass without progress.
 */
export function deploymentStatus(d: KubeObject, newRS: ReplicaSetView | undefined, all: readonly ReplicaSetView[], seeded: Condition[] | undefined, now = Date.now()): Status {
  const old = (d['status'] ?? {}) as Status;
  const replicas = desiredReplicas(d);
  const spec = deploymentSpec(d);
  const available = sum(all, (rs) => rs.available);
  const counts = {
    replicas: sum(all, (rs) => rs.statusReplicas),
    updatedReplicas: newRS?.statusReplicas ?? 0,
    readyReplicas: sum(all, (rs) => rs.ready),
    availableReplicas: available,
    // calculateStatus: the sets' wanted pods (spec) less the available ones.
    unavailableReplicas: Math.max(0, sum(all, (rs) => rs.replicas) - available),
  };
  let conditions = seeded ?? old.conditions ?? [];
  const minAvailable = replicas - fenceposts(d).unavailable;
  conditions =
    available >= minAvailable
      ? setCondition(conditions, 'Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.')
      : setCondition(conditions, 'Available', 'False', 'MinimumReplicasUnavailable', 'Deployment does not have minimum availability.');
  const generation = d.metadata.generation ?? 1;
  const progressing = conditions.find((c) => c.type === 'Progressing');
  if (spec.paused) {
    conditions = setCondition(conditions, 'Progressing', 'Unknown', 'DeploymentPaused', 'Deployment is paused');
  } else if (newRS) {
    const complete = counts.updatedReplicas === replicas && counts.replicas === replicas && available === replicas;
    const moved =
      counts.updatedReplicas > (old.updatedReplicas ?? 0) ||
      counts.readyReplicas > (old.readyReplicas ?? 0) ||
      available > (old.availableReplicas ?? 0) ||
      counts.replicas - counts.updatedReplicas < (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
    const deadline = (spec.progressDeadlineSeconds ?? 600) * 1000;
    if (progressing?.reason === 'DeploymentPaused') conditions = setCondition(conditions, 'Progressing', 'Unknown', 'DeploymentResumed', 'Deployment is resumed');
    if (complete) {
      conditions = setCondition(conditions, 'Progressing', 'True', 'NewReplicaSetAvailable', `ReplicaSet "${newRS.name}" has successfully progressed.`);
    } else if (moved) {
      conditions = setCondition(conditions, 'Progressing', 'True', 'ReplicaSetUpdated', `ReplicaSet "${newRS.name}" is progressing.`, true);
    } else {
      const current = conditions.find((c) => c.type === 'Progressing');
      if (current && current.reason !== 'NewReplicaSetAvailable' && Date.parse(current.lastUpdateTime) + deadline < now) {
        conditions = setCondition(conditions, 'Progressing', 'False', 'ProgressDeadlineExceeded', `ReplicaSet "${newRS.name}" has timed out progressing.`);
      }
    }
  }
  const order = ['Available', 'Progressing'];
  conditions = [...conditions].sort((a, b) => order.indexOf(a.type) - order.indexOf(b.type));
  return { observedGeneration: generation, ...omitZero(counts), conditions, ...(old.collisionCount ? { collisionCount: old.collisionCount } : {}) };
}
