import type { RouteTraffic } from './types.js';

/** Upper bounds of the latency histogram in ms, the Prometheus-style ladder the analysis reads. */
export const LATENCY_BOUNDS_MS = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000] as const;
const BUCKET_KEYS = [...LATENCY_BOUNDS_MS.map(String), '+Inf'];

/**
 * The counters of one backend on one route. Plain number fields and one typed array, bumped from
 * the hot path without allocating; the cumulative view is built only when someone reads it.
 */
export class TrafficCounters {
  requests = 0;
  errors = 0;
  /** Total latency of delivered responses, the histogram's `_sum` on /metrics. */
  latencySumMs = 0;
  private readonly statusClasses = new Float64Array(4);
  /** Per bucket, not cumulative: one increment per response. */
  private readonly buckets = new Float64Array(LATENCY_BOUNDS_MS.length + 1);

  constructor(readonly id: string) {}

  /** A response was delivered in full. */
  delivered(statusCode: number, latencyMs: number): void {
    const cls = ((statusCode / 100) | 0) - 2;
    // 1xx never ends an exchange; anything outside 2xx..5xx (a non-standard 6xx) counts as 5xx.
    this.statusClasses[cls >= 0 && cls <= 3 ? cls : 3]! += 1;
    let i = 0;
    while (i < LATENCY_BOUNDS_MS.length && latencyMs > LATENCY_BOUNDS_MS[i]!) i++;
    this.buckets[i]! += 1;
    this.latencySumMs += latencyMs;
  }

  snapshot(): RouteTraffic {
    const latencyBuckets: Record<string, number> = {};
    let running = 0;
    for (let i = 0; i < BUCKET_KEYS.length; i++) {
      running += this.buckets[i]!;
      latencyBuckets[BUCKET_KEYS[i]!] = running;
    }
    const s = this.statusClasses;
    return {
      id: this.id,
      requests: this.requests,
      status: { '2xx': s[0]!, '3xx': s[1]!, '4xx': s[2]!, '5xx': s[3]! },
      errors: this.errors,
      latencyBuckets,
      latencySumMs: this.latencySumMs,
    };
  }
}
