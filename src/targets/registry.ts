import type { Target, TrafficSource } from './target.js';

/**
 * Finds the target an environment names in gantry.yaml, by its kind (configured-targets.ts), and
 * the traffic source that kind counts requests with (what the metric providers read).
 */
export interface TargetRegistry {
  /** The target, made ready to deploy to (the local kind starts its agent when none answers). */
  get(name: string): Promise<Target>;
  /** The router counters of the target's routes, for the watch window and the router analyses. */
  traffic(name: string): Promise<TrafficSource>;
  /** For observers (status pages, /metrics): the target only if it already runs; never started for them. */
  observe(name: string): Promise<Target | undefined>;
  /** The traffic source of a target that already runs, for observers; undefined when none does. */
  observeTraffic(name: string): Promise<TrafficSource | undefined>;
}
