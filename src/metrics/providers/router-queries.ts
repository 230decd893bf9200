/**
 * The router's built-in queries: what its per-revision counters can answer. Kept apart from the
 * provider so that config validation can name them without loading the provider.
 */
export const ROUTER_QUERIES = ['error-rate', 'p99-latency-ms', 'request-rate'] as const;
export type RouterQuery = (typeof ROUTER_QUERIES)[number];
export const isRouterQuery = (text: string): text is RouterQuery => (ROUTER_QUERIES as readonly string[]).includes(text);
