import type { FaultSpec, FaultStatus } from '../router/faults.js';
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
  /** A chaos check's faults on the route for `durationMs`; the router ends them itself when the time is up. */
  setFaults(routeId: string, faults: FaultSpec, durationMs: number): FaultStatus | Promise<FaultStatus>;
  /** Ends them now; what the last faults did (null: the route never had any). */
  clearFaults(routeId: string): FaultStatus | null | Promise<FaultStatus | null>;
  faults(routeId: string): RouteFaultsStatus | Promise<RouteFaultsStatus>;
  /** Resolves once every earlier setBackends is in force. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export interface RouteFaultsStatus {
  readonly active: FaultStatus | null;
  readonly last: FaultStatus | null;
}
