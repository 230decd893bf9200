import type { ErrorCode } from '../errors/codes.js';
import { GantryError } from '../errors/index.js';
import { GANTRY_VERSION_HEADER } from '../server/version.js';

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

  /** Server-sent events of a route, as (event, data) pairs, until the server ends the stream. */
  async *events(path: string, signal?: AbortSignal): AsyncGenerator<{ event: string; data: unknown }> {
    const response = await this.fetch('GET', path, undefined, { accept: 'text/event-stream' }, signal);
    this.expectGantry(response);
    if (!response.ok || !response.body) throw this.apiError(response, await response.json().catch(() => ({})));
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of response.body) {
      buffer += decoder.decode(chunk as Uint8Array, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let event = 'message';
        const data: string[] = [];
        for (const line of block.split('\n')) {
          if (line.startsWith('event: ')) event = line.slice(7);
          else if (line.startsWith('data: ')) data.push(line.slice(6));
        }
        if (data.length > 0) yield { event, data: JSON.parse(data.join('\n')) as unknown };
      }
    }
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
