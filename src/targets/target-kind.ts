import type { Target, TrafficSource } from './target.js';

/**
 * One kind of target (`targets.<name>.kind` in gantry.yaml): makes the targets of that kind and
 * supplies their traffic sources: `local` (local/local-targets.ts), `docker` (docker/docker-targets.ts)
 * and `kubernetes` (kubernetes/kubernetes-targets.ts).
 */
export interface TargetKind {
  readonly kind: string;
  /** The target named `name`, made on first use and kept. */
  get(name: string): Promise<Target>;
  /** Where the kind counts the requests of the target's routes. */
  traffic(name: string): Promise<TrafficSource>;
  /** The target only if it already runs (observers must never start one). */
  observe(name: string): Promise<Target | undefined>;
  observeTraffic(name: string): Promise<TrafficSource | undefined>;
}
