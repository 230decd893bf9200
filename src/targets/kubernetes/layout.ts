import { TargetError } from '../../errors/index.js';
import type { RevisionSpec, RouteName, TargetCapabilities, WeightsCheck } from '../target.js';
import type { MappedRevision } from './revision-status.js';

/**
 * How a service's revisions map onto Kubernetes objects, chosen by the environment's strategy:
 * rolling-layout.ts (one Deployment the cluster rolls itself), blue-green-layout.ts (a Deployment
 * per colour behind a Service whose selector flips) or canary-layout.ts (the same Deployments, split
 * by replica ratio).
 */
export interface Layout {
  readonly capabilities: TargetCapabilities;
  /** The Service that carries a route, or undefined when the layout has no such route. */
  serviceName(service: string, route: RouteName): string | undefined;
  revisions(environment: string, service: string): Promise<{ revisions: MappedRevision[]; weights: Record<RouteName, Record<string, number>> }>;
  start(spec: RevisionSpec): Promise<void>;
  setWeights(environment: string, service: string, route: RouteName, weights: Readonly<Record<string, number>>): Promise<void>;
  verifyWeights(environment: string, service: string, route: RouteName, weights: Readonly<Record<string, number>>): Promise<WeightsCheck>;
  stop(environment: string, service: string, revision: number): Promise<void>;
}

/** The single revision a route's weights send everything to; undefined for `{}`; a split is refused (no weighted router here). */
export function wholeRoute(target: string, service: string, route: RouteName, weights: Readonly<Record<string, number>>): number | undefined {
  const live = Object.entries(weights).filter(([, w]) => w > 0);
  if (live.length === 0) return undefined;
  const [only] = live;
  if (live.length === 1 && only !== undefined && only[1] === 100) return Number(only[0]);
  throw new TargetError('TARGET_CAPABILITY_MISSING', `target ${target} cannot split the ${route} route of ${service} by weight (${JSON.stringify(weights)}): a Kubernetes Service sends all of a route to one set of pods`, {
    hint: 'A weighted split needs strategy kind canary on a kubernetes target (it splits by replica ratio); rolling and blue-green switch whole.',
  });
}

/** Main-route shares (percent, summing to 100 when any is ready) from each revision's ready pods. */
export function readyShares(counts: ReadonlyArray<{ revision: number; ready: number }>): Record<string, number> {
  const total = counts.reduce((n, c) => n + c.ready, 0);
  if (total === 0) return {};
  const live = counts.filter((c) => c.ready > 0);
  const out: Record<string, number> = {};
  let given = 0;
  live.forEach((c, i) => {
    const share = i === live.length - 1 ? 100 - given : Math.round((100 * c.ready) / total);
    given += share;
    out[String(c.revision)] = (out[String(c.revision)] ?? 0) + share;
  });
  return out;
}
