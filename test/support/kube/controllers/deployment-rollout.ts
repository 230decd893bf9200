import type { ReplicaSetView } from './deployment-model.js';

/** A scale decision: set this ReplicaSet's spec.replicas to `to`. */
export interface Scale {
  readonly rs: ReplicaSetView;
  readonly to: number;
}

const sum = (sets: readonly ReplicaSetView[], f: (rs: ReplicaSetView) => number): number => sets.reduce((n, rs) => n + f(rs), 0);

/** reconcileNewReplicaSet (rolling.go): grow the new set up to replicas + maxSurge pods in all. */
export function scaleNewForRolling(replicas: number, surge: number, newRS: ReplicaSetView, all: readonly ReplicaSetView[]): Scale | undefined {
  if (newRS.replicas === replicas) return undefined;
  if (newRS.replicas > replicas) return { rs: newRS, to: replicas };
  const current = sum(all, (rs) => rs.replicas);
  const maxTotal = replicas + surge;
  if (current >= maxTotal) return undefined;
  const up = Math.min(maxTotal - current, replicas - newRS.replicas);
  return up > 0 ? { rs: newRS, to: newRS.replicas + up } : undefined;
}

/**
 * reconcileOldReplicaSets (rolling.go): shrink old sets only as far as availability allows: first
 * their unhealthy pods, then available ones down to replicas - maxUnavailable available in all.
 */
export function scaleOldForRolling(replicas: number, unavailable: number, newRS: ReplicaSetView | undefined, old: readonly ReplicaSetView[]): Scale[] {
  const oldCount = sum(old, (rs) => rs.replicas);
  if (oldCount === 0) return [];
  const all = newRS ? [newRS, ...old] : [...old];
  const allCount = sum(all, (rs) => rs.replicas);
  const minAvailable = replicas - unavailable;
  const newUnavailable = newRS ? newRS.replicas - newRS.available : 0;
  let budget = allCount - minAvailable - newUnavailable;
  if (budget <= 0) return [];
  const byAge = [...old].sort((a, b) => a.created - b.created);
  const target = new Map(byAge.map((rs) => [rs.name, rs.replicas]));
  // cleanupUnhealthyReplicas: pods that are not available cost no availability to remove.
  for (const rs of byAge) {
    if (budget <= 0) break;
    const unhealthy = Math.min(budget, rs.replicas - rs.available);
    if (unhealthy <= 0) continue;
    target.set(rs.name, rs.replicas - unhealthy);
    budget -= unhealthy;
  }
  // scaleDownOldReplicaSetsForRollingUpdate: available pods above minAvailable.
  const available = sum(all, (rs) => rs.available);
  let down = available - minAvailable;
  for (const rs of byAge) {
    if (down <= 0) break;
    const now = target.get(rs.name) ?? 0;
    const cut = Math.min(now, down);
    if (cut <= 0) continue;
    target.set(rs.name, now - cut);
    down -= cut;
  }
  return byAge.filter((rs) => target.get(rs.name) !== rs.replicas).map((rs) => ({ rs, to: target.get(rs.name) ?? 0 }));
}
