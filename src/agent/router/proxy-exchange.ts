import { ServerResponse, type IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import { errors, type Dispatcher } from 'undici';
import type { Waiter } from './backend-health.js';
import type { BackendEntry } from './backend-set.js';
import { RouterErrorCode, sendError } from './error-response.js';
import { requestHeaders, responseHeaders, type RequestFacts, type ResponseFacts } from './headers.js';
import type { OutlierDetector } from './outlier-detector.js';
import { replayable, upstreamFailure } from './upstream-failure.js';

/** What an exchange needs of its route: a logger, passive health, and another backend for a retry. */
export interface ExchangeHost {
  readonly logger: Logger;
  readonly detector: OutlierDetector;
  retryTarget(failed: BackendEntry): BackendEntry | undefined;
}

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
/** Reason given to undici when the router abandons an upstream request to retry it elsewhere. */
const EJECTED = new Error('backend ejected; request retried on another');

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
 *
 * A GET or HEAD without a body that fails before any response byte (refused or reset connection,
 * or its backend ejected while it waited) is sent once more, to another backend, by a second
 * exchange that takes over the same client response; nothing else is retried.
 */
export class ProxyExchange implements Dispatcher.DispatchHandler, RequestFacts, ResponseFacts, Waiter {
  hasBody = false;
  upgrade: string | undefined = undefined;
  contentLength = -1;
  chunked = false;
  readonly startedAt = performance.now();
  deadlinesCounted = 0;
  private statusCode = 0;
  /** Response headers arrived: from here on the request is never retried. */
  private answered = false;
  /** A retry took over the client's response; whatever undici still reports here is ignored. */
  private abandoned = false;
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
  private headers: string[] = [];

  constructor(
    private readonly req: IncomingMessage,
    private readonly res: RouterResponse,
    private readonly entry: BackendEntry,
    private readonly host: ExchangeHost,
    /** Set on a retry: the headers the first attempt forwarded. */
    private readonly retryOf?: { readonly headers: string[]; readonly failedBackend: string },
  ) {}

  start(): void {
    const { req, res, entry } = this;
    entry.counters.requests++;
    res.exchange = this;
    let headers: string[];
    if (this.retryOf === undefined) {
      res.on('close', onClientClose);
      headers = requestHeaders(req.rawHeaders, req.socket.remoteAddress, this);
    } else {
      headers = this.retryOf.headers;
    }
    this.headers = headers;
    if (entry.tracked) entry.health.waiting.add(this);
    entry.pool.dispatch(
      // Node's parser has already checked method and path; '/' and 'GET' only satisfy the types.
      { path: req.url ?? '/', method: req.method ?? 'GET', headers, body: this.hasBody ? req : null },
      this,
    );
  }

  // --- undici's handler callbacks (the raw-header variants; see the class comment) ---

  onConnect(abort: (reason?: Error) => void): void {
    if (this.clientGone) abort(CLIENT_GONE);
    else if (this.abandoned) abort(EJECTED);
    else this.abortUpstream = abort;
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean {
    // 1xx: Node's server already answered `Expect: 100-continue`; other interim answers are dropped.
    if (statusCode < 200) return true;
    this.answered = true;
    if (this.entry.tracked) {
      this.entry.health.waiting.delete(this);
      this.entry.health.answered(performance.now());
    }
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
    if (this.abandoned) return; // the retry answers the client
    if (this.entry.tracked) this.entry.health.waiting.delete(this);
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
    this.host.logger.debug({ backend: this.entry.backend.id, err: error }, 'upstream request failed');
    const failure = this.answered ? undefined : upstreamFailure(error);
    if (failure !== undefined) this.host.detector.failed(this.entry);
    if (failure === 'connection' && this.retry()) return;
    if (res.headersSent) res.destroy(); // cut the response short so the client sees it is incomplete
    else {
      const retried = this.retryOf === undefined ? '' : ` (a retry after backend ${this.retryOf.failedBackend} failed)`;
      sendError(res, 502, RouterErrorCode.UpstreamError, `backend ${this.entry.backend.id} did not answer${retried}: ${error.message}`);
    }
  }

  // --- retries ---

  /** Its backend was ejected while this waited for a first byte: retry elsewhere if allowed, else keep waiting. */
  abandon(): void {
    if (this.settled || this.answered || this.abandoned || this.clientGone) return;
    if (!this.canRetry()) return;
    const next = this.host.retryTarget(this.entry);
    if (next === undefined) return;
    this.abandoned = true;
    this.entry.health.waiting.delete(this);
    this.entry.counters.errors++;
    this.abortUpstream?.(EJECTED); // when still queued in the pool, onConnect aborts it instead
    new ProxyExchange(this.req, this.res, next, this.host, { headers: this.headers, failedBackend: this.entry.backend.id }).start();
  }

  private canRetry(): boolean {
    return this.retryOf === undefined && this.upgrade === undefined && !this.res.headersSent && replayable(this.req, this.hasBody);
  }

  /** After a refused or reset connection: true when a retry on another backend took over. */
  private retry(): boolean {
    if (!this.canRetry()) return false;
    const next = this.host.retryTarget(this.entry);
    if (next === undefined) return false;
    new ProxyExchange(this.req, this.res, next, this.host, { headers: this.headers, failedBackend: this.entry.backend.id }).start();
    return true;
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
