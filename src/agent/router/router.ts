import { pino } from 'pino';
import type { Logger } from 'pino';
import { TargetError } from '../../errors/index.js';
import { validateFaults, type FaultSpec, type FaultStatus } from './faults.js';
import { defaultConnectionLimit, openFileLimit } from './open-file-budget.js';
import { Route } from './route.js';
import {
  DEFAULT_DRAIN_TIMEOUT_MS,
  DEFAULT_HOST,
  DEFAULT_UPSTREAM_CONNECTIONS,
  DEFAULT_UPSTREAM_TIMEOUT_MS,
  type Backend,
  type RouteTraffic,
  type RouterOptions,
} from './types.js';
import { UpstreamPools } from './upstream-pool.js';

/**
 * The data plane's HTTP/1.1 reverse proxy: one listener per route (an environment/service port or
 * its preview port), requests spread over the route's backends by weight, backends switched
 * atomically, traffic counted per backend. Upstream connections are pooled per backend URL and
 * shared by every route naming it.
 */
export class Router {
  private readonly routes = new Map<string, Route>();
  private readonly pools: UpstreamPools;
  private readonly logger: Logger;
  private readonly drainTimeoutMs: number;
  private readonly openFiles: number;
  /** Route id → its configured connection limit (services.<name>.run.maxConnections, told by the control plane). */
  private readonly limits: Map<string, number>;

  constructor(options: RouterOptions = {}) {
    this.logger = options.logger ?? pino({ level: 'silent' });
    this.drainTimeoutMs = options.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS;
    this.openFiles = options.openFiles ?? openFileLimit();
    this.limits = new Map(Object.entries(options.maxConnections ?? {}));
    this.pools = new UpstreamPools({
      connections: DEFAULT_UPSTREAM_CONNECTIONS,
      upstreamTimeoutMs: options.upstreamTimeoutMs ?? DEFAULT_UPSTREAM_TIMEOUT_MS,
      drainTimeoutMs: this.drainTimeoutMs,
      logger: this.logger,
    });
  }

  /** Starts the route's listener; resolves with the bound port (useful with port 0). */
  listen(routeId: string, port: number, host: string = DEFAULT_HOST): Promise<number> {
    return this.route(routeId).listen(port, host);
  }

  /** Sets (or, with undefined, clears) the route's connection limit; the router's default applies without one. */
  limit(routeId: string, maxConnections: number | undefined): void {
    if (maxConnections === undefined) this.limits.delete(routeId);
    else this.limits.set(routeId, maxConnections);
  }

  /** Replaces the route's backends in one step; requests in flight finish on the backend they started on. */
  setBackends(routeId: string, backends: readonly Backend[]): void {
    this.route(routeId).setBackends(backends);
  }

  /** In process, setBackends is in force as soon as it returns. */
  flush(): Promise<void> {
    return Promise.resolve();
  }

  backends(routeId: string): readonly Backend[] {
    return this.routes.get(routeId)?.backends() ?? [];
  }

  /** Counters per backend of the route, since each backend id was first added to it. */
  traffic(routeId: string): RouteTraffic[] {
    return this.routes.get(routeId)?.traffic() ?? [];
  }

  /**
   * Turns faults on for the route's requests for `durationMs` (replacing any on); they end by
   * themselves then, whatever happens to whoever asked (faults.ts).
   */
  setFaults(routeId: string, faults: FaultSpec, durationMs: number): FaultStatus {
    validateFaults(routeId, faults, durationMs);
    const route = this.routes.get(routeId);
    if (route === undefined) throw new TargetError('NOT_FOUND', `route ${routeId} is not served here`, { where: `route ${routeId}`, hint: 'Faults go on a route the agent serves: deploy the service first.' });
    this.logger.warn({ route: routeId, faults, durationMs }, 'faults on');
    return route.faults.set(faults, durationMs);
  }

  /** Ends the route's faults now; answers what the last ones did (null when it never had any). */
  clearFaults(routeId: string): FaultStatus | null {
    const cleared = this.routes.get(routeId)?.faults.clear() ?? null;
    if (cleared !== null) this.logger.warn({ route: routeId, counts: cleared.counts }, 'faults off');
    return cleared;
  }

  faults(routeId: string): { readonly active: FaultStatus | null; readonly last: FaultStatus | null } {
    return this.routes.get(routeId)?.faults.status() ?? { active: null, last: null };
  }

  /** Open client connections of the route, and the most it takes now (its configured or default limit). */
  connections(routeId: string): { open: number; limit: number } | undefined {
    return this.routes.get(routeId)?.connections();
  }

  /** Closes one route, or all of them; resolves when their ports are free and their requests have drained. */
  async close(routeId?: string): Promise<void> {
    const closing = routeId === undefined ? [...this.routes.values()] : [this.routes.get(routeId)].filter((r) => r !== undefined);
    for (const route of closing) this.routes.delete(route.id);
    await Promise.all(closing.map((route) => route.close()));
    await this.pools.drained();
  }

  private route(routeId: string): Route {
    let route = this.routes.get(routeId);
    if (route === undefined) {
      // Read at every connection: a limit told later applies at once, and the default is shared by
      // every route the router has, so it changes as routes come and go.
      const maxConnections = (): number => this.limits.get(routeId) ?? defaultConnectionLimit(this.openFiles, this.routes.size);
      route = new Route(routeId, { pools: this.pools, logger: this.logger, drainTimeoutMs: this.drainTimeoutMs, maxConnections });
      this.routes.set(routeId, route);
    }
    return route;
  }
}
