import { Counter, type Registry } from 'prom-client';
import type { RevisionTraffic } from './traffic.js';

export interface ServiceTraffic {
  readonly environment: string;
  readonly service: string;
  readonly revisions: readonly RevisionTraffic[];
}

/** Reads every running router's per-revision counters; never starts an agent to do so. */
export type TrafficSource = () => Promise<readonly ServiceTraffic[]>;

/**
 * The routers' own per-revision request counts, re-exported from the control plane so one scrape
 * shows deployments and the traffic they moved. Counters restart with an agent, as Prometheus expects.
 */
export function registerRouterMetrics(registry: Registry, source: TrafficSource): void {
  let sample: Promise<readonly ServiceTraffic[]> | undefined;
  const read = (): Promise<readonly ServiceTraffic[]> => {
    // Both counters of one scrape share one reading of the agents.
    sample ??= source().finally(() => setImmediate(() => (sample = undefined)));
    return sample;
  };
  new Counter({
    name: 'gantry_router_requests_total',
    help: 'Requests the routers delivered, by environment, service, revision and status class.',
    labelNames: ['environment', 'service', 'revision', 'code'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const s of await read()) {
        for (const r of s.revisions) {
          for (const code of ['2xx', '3xx', '4xx', '5xx'] as const) if (r.status[code] > 0) this.inc({ environment: s.environment, service: s.service, revision: String(r.revision), code }, r.status[code]);
        }
      }
    },
  });
  new Counter({
    name: 'gantry_router_errors_total',
    help: 'Requests the routers could not deliver to a revision (refused, reset, timed out).',
    labelNames: ['environment', 'service', 'revision'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const s of await read()) for (const r of s.revisions) if (r.errors > 0) this.inc({ environment: s.environment, service: s.service, revision: String(r.revision) }, r.errors);
    },
  });
}
