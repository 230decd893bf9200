import { ServerResponse, type IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import { errors, type Dispatcher } from 'undici';
import type { BackendEntry } from './backend-set.js';
import { RouterErrorCode, sendError } from './error-response.js';
import { requestHeaders, responseHeaders, type RequestFacts, type ResponseFacts } from './headers.js';

/**
 * The router's response class (passed to `createServer`): it carries the exchange it belongs to,
 * so the `close` and `drain` listeners can be shared module functions instead of a closure per request.
 */
export class RouterResponse extends ServerResponse<IncomingMessage> {
  exchange: ProxyExchange | undefined = undefined;
}

function onClientClose(this: RouterResponse): void {
  this.exchange?.clientClosed();
}

function onClientDrain(this: RouterResponse): void {
  this.exchange?.clientDrained();
}

/** Reason given to undici when the router abandons an upstream request because its client left. */
const CLIENT_GONE = new Error('client closed the connection');

/**
 * One request carried to one backend: the hot path. The object is undici's dispatch handler
 * itself, and the response body streams through with backpressure: when the client is slow, the
 * upstream is paused.
 *
 * It implements undici's raw-header callbacks (`onConnect/onHeaders/onData/onComplete/onError`).
 * undici 7 marks them deprecated in its types in favour of `onRequestStart/onResponseStart/…`, but
 * those go through a wrapper that parses every response's headers into an object the router would
 * only turn back into a list; the raw ones are still the dispatcher's native interface in v7.
 * Re-measure (bench/router.ts) before moving to undici 8.
 */
export class ProxyExchange implements Dispatcher.DispatchHandler, RequestFacts, ResponseFacts {
  hasBody = false;
  upgrade: string | undefined = undefined;
  contentLength = -1;
  chunked = false;
  private readonly startedAt = performance.now();
  private statusCode = 0;
  /** The upstream exchange has ended, one way or the other. */
  private settled = false;
  /** `res.end` was called: the client has everything. */
  private responded = false;
  /** Body bytes still expected when the upstream declared a length, else -1. */
  private remaining = -1;
  private clientGone = false;
  private drainHooked = false;
  private abortUpstream: ((reason?: Error) => void) | undefined = undefined;
  private resumeUpstream: (() => void) | undefined = undefined;

  constructor(
    private readonly req: IncomingMessage,
    private readonly res: RouterResponse,
    private readonly entry: BackendEntry,
    private readonly logger: Logger,
  ) {}

  start(): void {
    const { req, res, entry } = this;
    entry.counters.requests++;
    res.exchange = this;
    res.on('close', onClientClose);
    const headers = requestHeaders(req.rawHeaders, req.socket.remoteAddress, this);
    entry.pool.dispatch(
      // Node's parser has already checked method and path; '/' and 'GET' only satisfy the types.
      { path: req.url ?? '/', method: req.method ?? 'GET', headers, body: this.hasBody ? req : null },
      this,
    );
  }

  // --- undici's handler callbacks (the raw-header variants; see the class comment) ---

  onConnect(abort: (reason?: Error) => void): void {
    if (this.clientGone) abort(CLIENT_GONE);
    else this.abortUpstream = abort;
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean {
    // 1xx: Node's server already answered `Expect: 100-continue`; other interim answers are dropped.
    if (statusCode < 200) return true;
    this.statusCode = statusCode;
    this.resumeUpstream = resume;
    this.res.writeHead(statusCode, statusText, responseHeaders(rawHeaders, this.entry.backend.id, this));
    this.remaining = this.contentLength;
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (chunk.length === this.remaining) {
      // The last bytes of a sized body: one `end(chunk)` writes them and finishes in a single syscall.
      this.remaining = 0;
      this.responded = true;
      this.res.end(chunk);
      return true;
    }
    if (this.remaining > 0) this.remaining -= chunk.length;
    const ok = this.res.write(chunk);
    if (!ok && !this.drainHooked) {
      this.drainHooked = true;
      this.res.on('drain', onClientDrain);
    }
    return ok;
  }

  onComplete(): void {
    this.settled = true;
    if (!this.responded) {
      this.responded = true;
      this.res.end();
    }
    this.entry.counters.delivered(this.statusCode, performance.now() - this.startedAt);
  }

  onError(error: Error): void {
    this.settled = true;
    const { res } = this;
    if (this.responded) {
      // The whole body was already handed to the client; whatever failed after it cost it nothing.
      this.entry.counters.delivered(this.statusCode, performance.now() - this.startedAt);
      return;
    }
    if (this.clientGone || this.req.socket.destroyed) return; // not the upstream's failure: nobody to answer
    if (error instanceof errors.InvalidArgumentError && !res.headersSent) {
      // The request itself cannot be forwarded (a header the upstream client refuses): the client's fault.
      sendError(res, 400, RouterErrorCode.BadRequest, `the request cannot be forwarded: ${error.message}`);
      return;
    }
    this.entry.counters.errors++;
    this.logger.debug({ backend: this.entry.backend.id, err: error }, 'upstream request failed');
    if (res.headersSent) res.destroy(); // cut the response short so the client sees it is incomplete
    else sendError(res, 502, RouterErrorCode.UpstreamError, `backend ${this.entry.backend.id} did not answer: ${error.message}`);
  }

  // --- client side ---

  clientClosed(): void {
    if (this.settled || this.responded) return;
    this.clientGone = true;
    this.abortUpstream?.(CLIENT_GONE);
  }

  clientDrained(): void {
    this.resumeUpstream?.();
  }
}
