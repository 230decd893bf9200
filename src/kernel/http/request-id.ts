import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** The header a request id arrives in (from a proxy or a client) and is echoed back in. */
export const REQUEST_ID_HEADER = 'x-request-id';

/**
 * What an incoming id may look like to be kept: a UUID, a proxy's hex id, nginx's `$request_id`,
 * a base64 token. Anything else (spaces, quotes, newlines, a kilobyte of text) could forge or
 * break log lines, so it is replaced.
 */
const SANE_ID = /^[A-Za-z0-9][A-Za-z0-9._:+/=-]{0,127}$/;

/**
 * Fastify's `genReqId`: the caller's `x-request-id` when it is a plain token, so one id follows a
 * request through the reverse proxy and Gantry's log; otherwise a fresh UUID (unique across
 * restarts and across servers sharing a database, unlike Fastify's counter).
 */
export function requestId(req: IncomingMessage): string {
  const given = req.headers[REQUEST_ID_HEADER];
  return typeof given === 'string' && SANE_ID.test(given) ? given : randomUUID();
}
