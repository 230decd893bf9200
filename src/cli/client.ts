import { GantryError } from '../errors/index.js';

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
    const text = await response.text();
    const parsed = text === '' ? {} : (JSON.parse(text) as unknown);
    if (!response.ok) {
      const e = parsed as ApiErrorBody;
      throw new GantryError((e.code as never) ?? 'INTERNAL', e.message ?? `HTTP ${response.status}`, { ...(e.hint ? { hint: e.hint } : {}), details: { status: response.status } });
    }
    return parsed as T;
  }

  /** Server-sent events of a route, as (event, data) pairs, until the server ends the stream. */
  async *events(path: string, signal?: AbortSignal): AsyncGenerator<{ event: string; data: unknown }> {
    const response = await this.fetch('GET', path, undefined, { accept: 'text/event-stream' }, signal);
    if (!response.ok || !response.body) {
      const e = (await response.json().catch(() => ({}))) as ApiErrorBody;
      throw new GantryError((e.code as never) ?? 'INTERNAL', e.message ?? `HTTP ${response.status}`, e.hint ? { hint: e.hint } : {});
    }
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
