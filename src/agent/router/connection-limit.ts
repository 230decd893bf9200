import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { RouterErrorCode, rawErrorResponse } from './error-response.js';

/** How long a refused client has to read the answer before its socket is destroyed anyway. */
const REFUSED_LINGER_MS = 500;
/** Refusals are logged at most this often per route (with how many there were): a flood must not flood the log. */
const LOG_EVERY_MS = 10_000;

/**
 * At most `limit()` open client connections on one route. One more is answered at once with a 503
 * `ROUTE_BUSY` (written raw: no request is parsed, no upstream is touched) and closed, rather than
 * queued: a queued connection would hold the very file descriptor the limit is there to save, and
 * the client learns at once that it should back off or go elsewhere. Other routes never notice.
 */
export class ConnectionLimit {
  private open = 0;
  private readonly refusedSockets = new WeakSet<Socket>();
  private refusedSinceLog = 0;
  private lastLog = 0;

  constructor(
    private readonly routeId: string,
    /** Read on every connection: the default shrinks as routes are added. */
    readonly limit: () => number,
    private readonly logger: Logger,
  ) {}

  /** Open client connections right now (refused ones are not counted). */
  get connections(): number {
    return this.open;
  }

  /** For each accepted socket: counts it in, or refuses it. */
  admit(socket: Socket): void {
    const limit = this.limit();
    if (this.open < limit) {
      this.open++;
      socket.once('close', () => this.open--);
      return;
    }
    this.refusedSockets.add(socket);
    socket.on('error', () => socket.destroy()); // a flooder resetting is not our error
    // For the client: what and where, no configuration detail (that goes to the agent's log).
    const message = `route ${this.routeId} has ${this.open} open connections, its limit; try again shortly`;
    socket.end(rawErrorResponse(503, RouterErrorCode.RouteBusy, message));
    // Half-closed, so a client that sent its request first still reads the answer; then gone for sure.
    setTimeout(() => socket.destroy(), REFUSED_LINGER_MS).unref();
    this.noteRefusal(limit);
  }

  /** Whether the socket was refused: the HTTP server may still parse a request off it, which must not be served. */
  refused(socket: Socket): boolean {
    return this.refusedSockets.has(socket);
  }

  private noteRefusal(limit: number): void {
    this.refusedSinceLog++;
    const now = Date.now();
    if (now - this.lastLog < LOG_EVERY_MS) return;
    this.logger.warn(
      { route: this.routeId, limit, refused: this.refusedSinceLog, hint: "services.<name>.run.maxConnections in gantry.yaml sets a route's limit; the default shares the agent's file limit among its routes" },
      'route at its connection limit: refusing new connections with 503 ROUTE_BUSY',
    );
    this.lastLog = now;
    this.refusedSinceLog = 0;
  }
}
