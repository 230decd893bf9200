import { canaryPods } from '../../domain/replica-ratio.js';
import { TargetError } from '../../errors/index.js';

/**
 * What a route's weights ask of a canary on Kubernetes, where a Service spreads requests evenly over
 * the ready pods it selects (Argo Rollouts' canary without a traffic router): no pod, every pod of
 * one revision, or both revisions' pods in a replica ratio.
 */
export type RouteShape =
  | { readonly kind: 'none' }
  | { readonly kind: 'whole'; readonly revision: number }
  /** Pods per revision; the Service selects both revisions' pods. */
  | { readonly kind: 'split'; readonly pods: ReadonlyMap<number, number> };

/**
 * Weights to pods, for a service of `replicas` pods (the newer revision's), the canary being the
 * newer revision (see canaryPods). Exact weights need enough replicas: 10 % of 2 replicas is 1 pod
 * of each, a 50/50 split.
 */
export function routeShape(weights: Readonly<Record<string, number>>, replicas: number, where: string): RouteShape {
  const live = Object.entries(weights)
    .filter(([, w]) => w > 0)
    .map(([r, w]) => ({ revision: Number(r), weight: w }))
    .sort((a, b) => a.revision - b.revision);
  const [stable, canary] = live;
  if (stable === undefined) return { kind: 'none' };
  if (canary === undefined) return { kind: 'whole', revision: stable.revision };
  if (live.length > 2) {
    throw new TargetError('TARGET_CAPABILITY_MISSING', `${where} cannot split its main route between ${live.length} revisions (${JSON.stringify(weights)}): a canary on Kubernetes runs two Deployments, stable and canary`, {
      hint: 'Give weight to at most two revisions: the stable one and the canary.',
    });
  }
  const pods = canaryPods(replicas, canary.weight, stable.weight + canary.weight);
  return { kind: 'split', pods: new Map([[stable.revision, replicas < 2 ? 1 : replicas - pods], [canary.revision, pods]]) };
}
