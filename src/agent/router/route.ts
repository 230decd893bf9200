import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { TargetError } from '../../errors/index.js';
import { ConnectionLimit } from './connection-limit.js';
import { RouteFaults } from './faults.js';
import { matchesRule } from './match-rule.js';
import { BackendSet, EMPTY_BACKEND_SET, offersChoice, socketAddress, validateBackends, type BackendEntry } from './backend-set.js';
import { RouterErrorCode, rawErrorResponse, sendError } from './error-response.js';
import { OutlierDetector } from './outlier-detector.js';
import { ProxyExchange, RouterResponse, type ExchangeHost } from './proxy-exchange.js';
import { closeServer } from './server-close.js';
import { TrafficCounters } from './traffic-counters.js';
import type { Backend, RouteTraffic } from './types.js';
import type { UpstreamPools } from './upstream-pool.js';
import { tunnelUpgrade } from './websocket.js';

export interface RouteDeps {
  readonly pools: UpstreamPools;
  readonly logger: Logger;
  readonly drainTimeoutMs: number;
  /** The most open client connections the route takes; read on every new connection. */
  readonly maxConnections: () => number;
}

/** One listener and the backends behind it: an environment/service port, or its preview port. */
export class Route {
  private current: BackendSet = EMPTY_BACKEND_SET;
  /** Kept per backend id while the id stays in the set, across any number of switches. */
  private readonly counters = new Map<string, TrafficCounters>();
  private server: Server<typeof IncomingMessage, typeof RouterResponse> | undefined;
  private readonly tunnels = new Set<Duplex>();
  private readonly noBackendMessage: string;
  /** Passive health: hung or refusing backends out of the picker for a while (outlier-detector.ts). */
  private readonly detector: OutlierDetector;
  private readonly host: ExchangeHost;
  private readonly limit: ConnectionLimit;
  /** A chaos check's faults on this route's requests (faults.ts); off unless the agent is told. */
  readonly faults = new RouteFaults();

  constructor(
    readonly id: string,
    private readonly deps: RouteDeps,
  ) {
    this.noBackendMessage = `route ${id} has no backend with a weight above zero`;
    this.detector = new OutlierDetector(id, deps.logger);
    this.host = { logger: deps.logger, detector: this.detector, retryTarget: (failed) => this.current.pickOther(failed) };
    this.limit = new ConnectionLimit(id, deps.maxConnections, deps.logger);
  }

  /** Swaps the whole backend set in one assignment: the next request sees only the new one. */
  setBackends(backends: readonly Backend[]): void {
    const valid = validateBackends(this.id, backends);
    const { pools } = this.deps;
    const tracked = offersChoice(valid);
    const entries: BackendEntry[] = valid.map((backend) => {
      let counters = this.counters.get(backend.id);
      if (counters === undefined) {
        counters = new TrafficCounters(backend.id);
        this.counters.set(backend.id, counters);
      }
      // Acquire before the old set releases, so a URL present in both keeps its warm pool.
      const health = this.detector.healthOf(backend.id, backend.url);
      return { backend, pool: pools.acquire(backend.url), counters, ...socketAddress(backend.url), health, tracked };
    });
    const previous = this.current;
    this.current = new BackendSet(entries);
    this.detector.track(entries);
    for (const entry of previous.entries) pools.release(entry.backend.url);
    const ids = new Set(valid.map((b) => b.id));
    for (const id of [...this.counters.keys()]) if (!ids.has(id)) this.counters.delete(id);
    this.deps.logger.info({ route: this.id, backends: valid }, 'route backends set');
  }

  backends(): readonly Backend[] {
    return this.current.entries.map((entry) => entry.backend);
  }

  traffic(): RouteTraffic[] {
    return this.current.entries.map((entry) => entry.counters.snapshot());
  }

  listen(port: number, host: string): Promise<number> {
    if (this.server !== undefined) {
      return Promise.reject(new TargetError('CONFLICT', `route ${this.id} is already listening`, { where: `route ${this.id}`, hint: 'Close the route before listening again.' }));
    }
    const server = createServer({ ServerResponse: RouterResponse }, (req, res) => this.handle(req, res));
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(req, socket, head));
    // After the HTTP server's own listener: a refused socket is answered before any request is read.
    server.on('connection', (socket: Socket) => this.limit.admit(socket));
    this.server = server;
    return new Promise<number>((resolve, reject) => {
      const failed = (error: Error): void => {
        this.server = undefined;
        reject(new TargetError('CONFLICT', `route ${this.id} cannot listen on ${host}:${port}: ${error.message}`, { cause: error, where: `route ${this.id}`, hint: 'Pick a free port, or stop what holds this one.' }));
      };
      server.once('error', failed);
      server.listen({ port, host, exclusive: true }, () => {
        server.off('error', failed);
        server.on('error', (error) => this.deps.logger.error({ route: this.id, err: error }, 'route listener failed'));
        resolve((server.address() as AddressInfo).port);
      });
    });
  }

  /** Stops listening, lets requests in flight finish (up to the drain timeout) and lets go of the pools. */
  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.faults.clear();
    // Requests still arriving on open keep-alive connections during the drain are served as usual.
    if (server !== undefined) await closeServer(server, this.tunnels, this.deps.drainTimeoutMs);
    const previous = this.current;
    this.current = EMPTY_BACKEND_SET;
    this.counters.clear();
    this.detector.track([]);
    for (const entry of previous.entries) this.deps.pools.release(entry.backend.url);
  }

  /** Open client connections, and the most the route takes now. */
  connections(): { open: number; limit: number } {
    return { open: this.limit.connections, limit: this.limit.limit() };
  }

  private handle(req: IncomingMessage, res: RouterResponse): void {
    if (this.limit.refused(req.socket)) return; // already answered ROUTE_BUSY and closing
    if (this.faults.on) this.faults.apply(req, res, () => this.forward(req, res));
    else this.forward(req, res);
  }

  private forward(req: IncomingMessage, res: RouterResponse): void {
    const entry = this.pickFor(req);
    if (entry === undefined) sendError(res, 503, RouterErrorCode.NoBackend, this.noBackendMessage);
    else new ProxyExchange(req, res, entry, this.host).start();
  }

  /** A request that carries the set's match rule goes to the matched backends; every other one by weight. */
  private pickFor(req: IncomingMessage): BackendEntry | undefined {
    const set = this.current;
    return (set.match !== undefined && matchesRule(req.headers, set.match.rule) ? set.pickMatched() : undefined) ?? set.pick();
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy()); // a client vanishing mid-handshake is not our error
    if (this.limit.refused(req.socket)) return;
    const entry = this.pickFor(req);
    if (entry === undefined) socket.end(rawErrorResponse(503, RouterErrorCode.NoBackend, this.noBackendMessage));
    else tunnelUpgrade(req, socket, head, entry, this.tunnels, this.deps.logger);
  }
}
