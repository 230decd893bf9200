import { Counter, type Registry } from 'prom-client';
import { CountedHistogram, type CountedSeries } from './counted-histogram.js';
import type { RevisionTraffic } from './traffic.js';

/**
 * The built-in router's latency ladder in ms (agent/router/traffic-counters.ts, which metrics/ may
 * not import; test/unit/router-latency-histogram.test.ts keeps the two equal), and in seconds as
 * Prometheus expects them (5 ms … 10 s).
 */
export const ROUTER_LATENCY_BOUNDS_MS = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000] as const;
const ROUTER_LATENCY_BUCKETS = ROUTER_LATENCY_BOUNDS_MS.map((ms) => ms / 1000);

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
    // The metrics of one scrape share one reading of the agents.
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
  new CountedHistogram({
    name: 'gantry_router_request_duration_seconds',
    help: 'Time from a router handing a request to a revision to the end of the response it delivered, by environment, service and revision.',
    labelNames: ['environment', 'service', 'revision'],
    buckets: ROUTER_LATENCY_BUCKETS,
    registry,
    read: async () => (await read()).flatMap((s) => s.revisions.flatMap((r) => latencySeries(s, r))),
  });
}

/**
 * One revision's latency histogram, from the router's cumulative ms buckets. None where the router
 * keeps no histogram (HAProxy's counters have no buckets) or no sum (a router started by an older agent).
 */
export function latencySeries(s: ServiceTraffic, r: RevisionTraffic): CountedSeries<'environment' | 'service' | 'revision'>[] {
  const total = r.latencyBuckets['+Inf'];
  if (total === undefined || r.latencySumMs === undefined || !Number.isFinite(r.latencySumMs)) return [];
  const counts: number[] = [];
  let below = 0;
  for (const bound of ROUTER_LATENCY_BOUNDS_MS) {
    const atOrBelow = r.latencyBuckets[String(bound)] ?? below;
    counts.push(atOrBelow - below);
    below = atOrBelow;
  }
  counts.push(total - below);
  return [{ labels: { environment: s.environment, service: s.service, revision: String(r.revision) }, counts, sum: r.latencySumMs / 1000 }];
}
