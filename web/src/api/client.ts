import type { ApiProblem, Whoami } from './types';

/** An answer of the API that was not a success, with the server's own code, message and hint. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: ApiProblem,
  ) {
    super(problem.message);
  }
}

const TOKEN_KEY = 'gantry.token';

/**
 * The token lives in this tab's session storage: it survives a reload but not the tab, and the
 * page's content security policy keeps other scripts from reading it.
 */
export const savedToken = (): string | null => sessionStorage.getItem(TOKEN_KEY);
export const saveToken = (token: string): void => sessionStorage.setItem(TOKEN_KEY, token);
export const forgetToken = (): void => sessionStorage.removeItem(TOKEN_KEY);

async function problemOf(response: Response): Promise<ApiProblem> {
  const body: unknown = await response.json().catch(() => null);
  if (body && typeof body === 'object' && 'message' in body && 'code' in body) return body as ApiProblem;
  return { code: `HTTP_${response.status}`, message: `the server answered ${response.status} ${response.statusText}` };
}

export interface Api {
  get<T>(path: string, signal?: AbortSignal): Promise<T>;
  send<T>(method: 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T>;
  /** Opens a stream of server-sent events (with the token, which EventSource cannot send), after `lastEventId` when resuming. */
  stream(path: string, signal: AbortSignal, lastEventId?: string): Promise<Response>;
}

export function createApi(token: string, onUnauthorized: () => void): Api {
  const headers = { authorization: `Bearer ${token}` };
  const check = async (response: Response): Promise<Response> => {
    if (response.ok) return response;
    if (response.status === 401) onUnauthorized();
    throw new ApiError(response.status, await problemOf(response));
  };
  return {
    async get<T>(path: string, signal?: AbortSignal): Promise<T> {
      const response = await check(await fetch(path, { headers, ...(signal ? { signal } : {}) }));
      return (await response.json()) as T;
    },
    async send<T>(method: 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T> {
      const init: RequestInit = body === undefined ? { method, headers } : { method, headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) };
      const response = await check(await fetch(path, init));
      return (await response.json()) as T;
    },
    async stream(path: string, signal: AbortSignal, lastEventId?: string): Promise<Response> {
      const sse: Record<string, string> = { ...headers, accept: 'text/event-stream' };
      if (lastEventId !== undefined) sse['last-event-id'] = lastEventId;
      return check(await fetch(path, { headers: sse, signal, cache: 'no-store' }));
    },
  };
}

/** Checks a token without keeping it: the user it names, or the server's refusal. */
export const whoami = (token: string): Promise<Whoami> => createApi(token, () => undefined).get<Whoami>('api/v1/whoami');
