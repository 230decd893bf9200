/**
 * A canary split by replica ratio (a kubernetes target: a Service spreads requests evenly over the
 * pods it selects) moves whole pods. For a service of `replicas` pods, the canary at `weight` of
 * `total` gets round(replicas × weight / total) pods, at least 1 and at most replicas − 1; the stable
 * revision the rest. With 1 replica a split runs one pod of each.
 */
export function canaryPods(replicas: number, weight: number, total = 100): number {
  if (replicas < 2) return 1;
  return Math.min(replicas - 1, Math.max(1, Math.round((replicas * weight) / total)));
}

/** The share (per cent, rounded) of requests the canary really gets at `weight` %, 0 < weight < 100. */
export function replicaShare(replicas: number, weight: number): number {
  const pods = canaryPods(replicas, weight);
  return Math.round((100 * pods) / Math.max(2, replicas));
}
