import type { IncomingMessage } from 'node:http';

/**
 * How an upstream request failed, as passive health and retries see it:
 * - `connection`: refused, reset or closed before any response byte; nothing the backend sent was lost;
 * - `timeout`: it connected but said nothing in time;
 * - undefined: not the backend's doing (the client left, the request could not be forwarded).
 */
export type UpstreamFailure = 'connection' | 'timeout' | undefined;

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'EHOSTUNREACH', 'ENETUNREACH']);
const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'ETIMEDOUT']);

export function upstreamFailure(error: Error): UpstreamFailure {
  const code = 'code' in error && typeof error.code === 'string' ? error.code : '';
  if (CONNECTION_CODES.has(code)) return 'connection';
  if (TIMEOUT_CODES.has(code)) return 'timeout';
  return undefined;
}

/**
 * Whether the request may be sent a second time: a GET or HEAD without a body (RFC 9110 §9.2.2 makes
 * them idempotent, and a bodiless one can be replayed from its headers alone). Nothing else is ever
 * retried, not even on a refused connection.
 */
export function replayable(req: IncomingMessage, hasBody: boolean): boolean {
  return !hasBody && (req.method === 'GET' || req.method === 'HEAD');
}
