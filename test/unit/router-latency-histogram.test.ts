import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { LATENCY_BOUNDS_MS } from '../../src/agent/router/traffic-counters.js';
import { TrafficCounters } from '../../src/agent/router/traffic-counters.js';
import { latencySeries, registerRouterMetrics, ROUTER_LATENCY_BOUNDS_MS, type ServiceTraffic } from '../../src/metrics/router-metrics.js';
import type { RevisionTraffic } from '../../src/metrics/traffic.js';

/** A revision's counters as the built-in router reports them after these responses (ms). */
function routed(revision: number, latenciesMs: readonly number[]): RevisionTraffic {
  const counters = new TrafficCounters(`${revision}/0`);
  for (const ms of latenciesMs) {
    counters.requests++;
    counters.delivered(200, ms);
  }
  const { requests, status, errors, latencyBuckets, latencySumMs } = counters.snapshot();
  return { revision, requests, status, errors, latencyBuckets, latencySumMs };
}

describe('the router latency histogram on /metrics', () => {
  it('uses the ladder the router counts with', () => {
    expect([...ROUTER_LATENCY_BOUNDS_MS]).toEqual([...LATENCY_BOUNDS_MS]);
  });

  it('turns the router’s cumulative millisecond buckets into per-bucket counts and a sum in seconds', () => {
    const service: ServiceTraffic = { environment: 'production', service: 'api', revisions: [] };
    const [series] = latencySeries(service, routed(3, [1, 4, 7, 30, 30, 12_000]));
    expect(series?.labels).toEqual({ environment: 'production', service: 'api', revision: '3' });
    // ≤5: 2; ≤10: 1; ≤25: 0; ≤50: 2; … ; +Inf: 1
    expect(series?.counts).toEqual([2, 1, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1]);
    expect(series?.sum).toBeCloseTo(12.072);
  });

  it('leaves out a revision whose router keeps no histogram (HAProxy) or no sum', () => {
    const service: ServiceTraffic = { environment: 'production', service: 'api', revisions: [] };
    const haproxy: RevisionTraffic = { revision: 1, requests: 5, status: { '2xx': 5, '3xx': 0, '4xx': 0, '5xx': 0 }, errors: 0, latencyBuckets: {} };
    expect(latencySeries(service, haproxy)).toEqual([]);
    const { latencySumMs: _sum, ...withoutSum } = routed(2, [3]);
    expect(latencySeries(service, withoutSum)).toEqual([]);
  });

  it('renders _bucket (cumulative, le in seconds), _sum and _count per environment, service and revision', async () => {
    const registry = new Registry();
    registerRouterMetrics(registry, async () => [{ environment: 'production', service: 'api', revisions: [routed(1, [2, 20, 200]), routed(2, [])] }]);
    const text = await registry.metrics();
    expect(text).toContain('# TYPE gantry_router_request_duration_seconds histogram');
    const line = (suffix: string, labels: string): number | undefined => {
      const match = new RegExp(`^gantry_router_request_duration_seconds_${suffix}\\{${labels.replace(/[.+]/g, '\\$&')}\\} (\\S+)$`, 'm').exec(text);
      return match ? Number(match[1]) : undefined;
    };
    const r1 = 'environment="production",service="api",revision="1"';
    expect(line('bucket', `${r1},le="0.005"`)).toBe(1);
    expect(line('bucket', `${r1},le="0.025"`)).toBe(2);
    expect(line('bucket', `${r1},le="0.25"`)).toBe(3);
    expect(line('bucket', `${r1},le="+Inf"`)).toBe(3);
    expect(line('sum', r1)).toBeCloseTo(0.222);
    expect(line('count', r1)).toBe(3);
    // A revision with no request yet has an all-zero histogram, as Prometheus expects of a known series.
    expect(line('count', 'environment="production",service="api",revision="2"')).toBe(0);
  });
});
