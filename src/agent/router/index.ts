export { Router } from './router.js';
export type { Backend, RouteTraffic, RouterOptions, StatusCounts } from './types.js';
export { DEFAULT_DRAIN_TIMEOUT_MS, DEFAULT_HOST, DEFAULT_UPSTREAM_TIMEOUT_MS } from './types.js';
export { LATENCY_BOUNDS_MS } from './traffic-counters.js';
export { RouterErrorCode } from './error-response.js';
