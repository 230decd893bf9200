import type { ErrorCode } from '../errors/codes.js';
import { GantryError } from '../errors/index.js';
import { GANTRY_VERSION_HEADER } from '../server/version.js';
import { formatDuration, parseDuration } from '../config/duration.js';
import { DEFAULT_RECONNECT_BUDGET_MS, followSse } from './sse-stream.js';

export interface ApiErrorBody {
  code?: string;
  message?: string;
  hint?: string;
}

/** The CLI's only way to the server: HTTP with a bearer token, errors turned back into GantryErrors. */
export class ApiClient {
  constructor(readonly baseUrl: string, readonly token: string | undefined) {}

  async request<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T> {
    const response = await this.fetch(method, path, body);
    this.expectGantry(response);
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? {} : (JSON.parse(text) as unknown);
    } catch {
      throw this.notGantry(response, 'with a body that is not JSON');
    }
    if (!response.ok) throw this.apiError(response, parsed);
    return parsed as T;
  }

  /** A GET of a route that answers with text (a YAML export): the body as it came; errors as request() reports them. */
  async text(path: string): Promise<string> {
    const response = await this.fetch('GET', path, undefined);
    this.expectGantry(response);
    const text = await response.text();
    if (response.ok) return text;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text) as unknown;
    } catch {
      throw this.notGantry(response, 'with an error body that is not JSON');
    }
    throw this.apiError(response, parsed);
  }

  /** Every answer of a Gantry server carries its version header (src/server/app.ts); a web page or another API does not. */
  private expectGantry(response: Response): void {
    if (!response.headers.has(GANTRY_VERSION_HEADER)) throw this.notGantry(response, `without the ${GANTRY_VERSION_HEADER} header every Gantry answer carries`);
  }

  private notGantry(response: Response, how: string): GantryError {
    const type = response.headers.get('content-type')?.split(';')[0];
    return new GantryError('SERVER_NOT_GANTRY', `${this.baseUrl} is not a Gantry server: it answered HTTP ${response.status}${type ? ` (${type})` : ''} ${how}`, {
      hint: 'Point the CLI at the address `gantry server` prints when it starts, with --server or GANTRY_SERVER.',
      details: { status: response.status },
    });
  }

  private apiError(response: Response, parsed: unknown): GantryError {
    const e = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as ApiErrorBody;
    // A newer server may send a code this CLI does not know yet: shown as it came, not as a bug of ours.
    const code = typeof e.code === 'string' ? (e.code as ErrorCode) : 'INTERNAL';
    return new GantryError(code, e.message ?? `HTTP ${response.status}`, { ...(e.hint ? { hint: e.hint } : {}), details: { status: response.status } });
  }

  /**
   * Server-sent events of a route, as (event, data) pairs, until the server ends the stream with
   * `end`. A connection lost before that is opened again with Last-Event-ID (sse-stream.ts), saying
   * so once on stderr; SERVER_UNREACHABLE when the server is not back within the reconnect budget.
   */
  async *events(path: string, signal?: AbortSignal): AsyncGenerator<{ event: string; data: unknown }> {
    const budgetMs = reconnectBudgetMs();
    yield* followSse((lastEventId) => this.openStream(path, lastEventId, signal), {
      signal,
      budgetMs,
      // The server restarting: not listening yet, or answering 503 while it stops or starts.
      retryable: (e) => e instanceof GantryError && (e.code === 'SERVER_UNREACHABLE' || e.code === 'SERVER_NOT_GANTRY' || ((e.details as { status?: number } | undefined)?.status ?? 0) >= 500),
      onDrop: () => process.stderr.write(`lost the connection to ${this.baseUrl}; reconnecting… (for up to ${formatDuration(budgetMs)})\n`),
      onResume: () => process.stderr.write('reconnected\n'),
    });
  }

  private async openStream(path: string, lastEventId: string | undefined, signal: AbortSignal | undefined): Promise<ReadableStream<Uint8Array>> {
    const response = await this.fetch('GET', path, undefined, { accept: 'text/event-stream', ...(lastEventId === undefined ? {} : { 'last-event-id': lastEventId }) }, signal);
    this.expectGantry(response);
    if (!response.ok || !response.body) throw this.apiError(response, await response.json().catch(() => ({})));
    return response.body;
  }

  private async fetch(method: string, path: string, body: unknown, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<Response> {
    try {
      return await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: {
          ...headers,
          ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        ...(signal ? { signal } : {}),
      });
    } catch (cause: unknown) {
      throw new GantryError('SERVER_UNREACHABLE', `cannot reach the Gantry server at ${this.baseUrl}`, {
        cause,
        hint: 'Start it with `gantry server`, or point the CLI at it with --server or GANTRY_SERVER.',
      });
    }
  }
}

/** GANTRY_RECONNECT_TIMEOUT (`30s`, `2m`): how long a follow tries to reconnect to a server that went away. */
function reconnectBudgetMs(): number {
  const value = process.env.GANTRY_RECONNECT_TIMEOUT;
  if (value === undefined || value === '') return DEFAULT_RECONNECT_BUDGET_MS;
  try {
    return parseDuration(value);
  } catch {
    return DEFAULT_RECONNECT_BUDGET_MS;
  }
}
