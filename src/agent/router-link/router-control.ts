import type { Backend, RouteTraffic } from '../router/types.js';

/**
 * What the agent needs of a router: the in-process Router (tests, benchmarks) and the RouterLink
 * to the router the agent's parent process runs both provide it.
 */
export interface RouterControl {
  /** Starts the route's listener (already listening on that port: nothing to do); resolves with the bound port. */
  listen(routeId: string, port: number): Promise<number>;
  setBackends(routeId: string, backends: readonly Backend[]): void;
  /** Sets the route's connection limit (undefined: the router's default), in order with the other calls. */
  limit(routeId: string, maxConnections: number | undefined): void;
  traffic(routeId: string): RouteTraffic[] | Promise<RouteTraffic[]>;
  /** Resolves once every earlier setBackends is in force. */
  flush(): Promise<void>;
  close(): Promise<void>;
}
