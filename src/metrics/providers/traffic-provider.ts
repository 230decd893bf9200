import type { RevisionTraffic, TrafficSource } from '../traffic.js';
import { RouterProvider } from './router-provider.js';

/** Where each target's kind counts its routes' requests: the slice of the target registry the metrics read. */
export interface TrafficSources {
  traffic(target: string): Promise<TrafficSource>;
}

/**
 * The router's per-revision counters, read through the traffic source of the target's kind (the
 * local agent's router today; an ingress or proxy's counters for the container targets), never
 * through Target itself: the watch window's thresholds and the router analyses both read here.
 */
export class TrafficProvider {
  constructor(private readonly sources: TrafficSources) {}

  /** The counters of one service's main route: one entry per revision it sends traffic to. */
  async read(target: string, environment: string, service: string): Promise<RevisionTraffic[]> {
    return (await this.sources.traffic(target)).traffic(environment, service);
  }

  /** The `router` metric provider of one service (an instance serves one analysis). */
  router(target: string, environment: string, service: string, clock: { now(): number }): RouterProvider {
    return new RouterProvider(() => this.read(target, environment, service), clock);
  }
}
