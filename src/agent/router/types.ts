/** The router's public shapes: what the agent gives it (backends) and what it measures (traffic). */
import type { Logger } from 'pino';
import type { MatchRule } from './match-rule.js';

/** One upstream of a route: a revision's replica on loopback, with its share of the traffic. */
export interface Backend {
  /** Stable name of the upstream (the agent uses the revision, e.g. `"7"` or `"7/1"` for a replica). */
  readonly id: string;
  /** `http://127.0.0.1:PORT`: origin only, no path. */
  readonly url: string;
  /** 0..100; 0 keeps the backend listed (and its pool warm) without sending it new requests. */
  readonly weight: number;
  /** Requests matching this rule go to the backends that carry it, whatever the weights (testers reaching a canary). */
  readonly match?: MatchRule;
}

/** Response status classes, counted when a response has been fully delivered to the client. */
export interface StatusCounts {
  readonly '2xx': number;
  readonly '3xx': number;
  readonly '4xx': number;
  readonly '5xx': number;
}

/**
 * Counters of one backend on one route, since its id was first added to the route.
 * Every request sent to the backend ends up in exactly one place: `status` (a response was
 * delivered), `errors` (the router could not deliver one: connection refused, reset, timeout,
 * a response cut short, or an attempt retried on another backend, which counts it again there),
 * or nowhere when the client went away first.
 */
export interface RouteTraffic {
  readonly id: string;
  readonly requests: number;
  readonly status: StatusCounts;
  readonly errors: number;
  /** Cumulative: upper bound in ms (`'5'`, `'10'`, …, `'+Inf'`) → delivered responses at most that slow. */
  readonly latencyBuckets: Record<string, number>;
  /** Sum of the delivered responses' latencies in ms (with the buckets, a Prometheus histogram). */
  readonly latencySumMs: number;
}

export interface RouterOptions {
  /** How long `close` and a removed backend's pool wait for requests in flight before cutting them. */
  readonly drainTimeoutMs?: number;
  /** How long an upstream may take to send response headers, and to go quiet within a body. */
  readonly upstreamTimeoutMs?: number;
  readonly logger?: Logger;
  /**
   * Route id → the most open client connections it takes (services.<name>.run.maxConnections);
   * a route left out gets the default: the file limit, less a reserve, shared by all routes.
   */
  readonly maxConnections?: Readonly<Record<string, number>>;
  /** The file limit the default is derived from (default: this process's soft limit, /proc/self/limits). */
  readonly openFiles?: number;
}

export const DEFAULT_DRAIN_TIMEOUT_MS = 30_000;
export const DEFAULT_UPSTREAM_TIMEOUT_MS = 60_000;
export const DEFAULT_HOST = '127.0.0.1';
/** Keep-alive connections per upstream; beyond it requests queue in the pool rather than opening more. */
export const DEFAULT_UPSTREAM_CONNECTIONS = 256;
