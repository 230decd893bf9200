/** The router's counters: what a target kind supplies and the metric providers measure with. */

/** Counters of one revision on one route, as the router measured them, since the revision got traffic. */
export interface RevisionTraffic {
  readonly revision: number;
  readonly requests: number;
  readonly status: { readonly '2xx': number; readonly '3xx': number; readonly '4xx': number; readonly '5xx': number };
  /**
   * Requests the router could not deliver (connection refused, reset, timeout), counting an attempt
   * the router then retried on another backend: the revision failed it even if the client was answered.
   */
  readonly errors: number;
  /** Cumulative latency histogram: upper bound in ms → count. */
  readonly latencyBuckets: Readonly<Record<string, number>>;
  /** Total latency in ms of the responses the buckets count; absent where the router keeps no histogram (HAProxy). */
  readonly latencySumMs?: number;
}

/**
 * A target kind's router counters, one entry per revision a service's main route sends traffic to:
 * what the watch window and the router metric provider read (through TargetRegistry.traffic), and
 * what /metrics exports. Not part of Target: a target may count traffic somewhere else (an ingress's
 * Prometheus), and observers read it without being able to change anything.
 */
export interface TrafficSource {
  traffic(environment: string, service: string): Promise<RevisionTraffic[]>;
}
