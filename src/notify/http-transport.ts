import type { Redactor } from '../secrets/redactor.js';
import { DeliveryError, isRetryableStatus } from './delivery-error.js';
import type { InboundResponse, OutboundRequest } from './notifier.js';
import { redactJson } from './redact-json.js';

export type FetchLike = typeof fetch;

export interface TransportOptions {
  readonly fetch: FetchLike;
  readonly redactor: Redactor;
  readonly timeoutMs: number;
  /** Aborted when the dispatcher stops. */
  readonly signal: AbortSignal;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
const MAX_RETRY_AFTER_MS = 30_000;
const ERROR_BODY_CHARS = 300;

/** Only scheme and host: a Slack webhook's path is itself a secret. */
const where = (request: OutboundRequest): string => {
  try {
    return `${request.method} ${new URL(request.url).origin}`;
  } catch {
    return request.method;
  }
};

function retryAfterMs(header: string | null): number | undefined {
  if (header === null) return undefined;
  const seconds = Number(header);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - Date.now();
  return Number.isFinite(ms) && ms > 0 ? Math.min(ms, MAX_RETRY_AFTER_MS) : undefined;
}

/**
 * The one way a notify adapter talks HTTP: redacts the payload, adds body credentials and the
 * signature, applies a timeout, and turns every non-2xx answer into a classified DeliveryError.
 */
export function createTransport(o: TransportOptions): (request: OutboundRequest) => Promise<InboundResponse> {
  return async (request) => {
    if (!URL.canParse(request.url)) {
      // Not retried, and the URL is left out: a Slack webhook URL is a secret.
      throw new DeliveryError('NOTIFY_DELIVERY_FAILED', `${request.method} to a malformed URL`, { hint: 'Check the channel\'s url, or the secret that holds it.' });
    }
    const body = JSON.stringify({ ...redactJson(request.json, o.redactor), ...request.credentials });
    const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'gantry-notify', ...request.headers, ...request.sign?.(body) };
    let response: Response;
    try {
      // A real timer, not the dispatcher's Clock: it bounds a real socket, which fake time would not slow down.
      response = await o.fetch(request.url, { method: request.method, headers, body, signal: AbortSignal.any([o.signal, AbortSignal.timeout(o.timeoutMs)]) });
    } catch (error: unknown) {
      const cause = error instanceof Error ? ((error.cause instanceof Error ? error.cause.message : undefined) ?? error.message) : String(error);
      throw new DeliveryError('NOTIFY_DELIVERY_FAILED', `${where(request)}: ${cause}`, { cause: error, retryable: !o.signal.aborted });
    }
    const text = await response.text().catch(() => '');
    if (response.status < 200 || response.status > 299) {
      const retryable = isRetryableStatus(response.status);
      const excerpt = text.slice(0, ERROR_BODY_CHARS).trim();
      throw new DeliveryError('NOTIFY_DELIVERY_FAILED', `${where(request)} answered ${response.status}${excerpt ? `: ${excerpt}` : ''}`, {
        retryable,
        ...(response.status === 429 ? { retryAfterMs: retryAfterMs(response.headers.get('retry-after')) } : {}),
        details: { status: response.status },
      });
    }
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = undefined; // Slack answers a plain `ok`; only the status matters there
    }
    return { status: response.status, json };
  };
}
