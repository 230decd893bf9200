import { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { redactUrl } from './redact-url.js';
import { REQUEST_ID_HEADER } from './request-id.js';

export interface AccessLogOptions {
  /**
   * Paths whose requests log at `debug` unless they fail (status 400 and above): health probes and
   * the dashboard's files would otherwise drown the requests people look for.
   */
  readonly quiet: (path: string) => boolean;
}

/**
 * Fastify's own two lines per request (incoming, completed) give way to the access line below; its
 * other lines (a stream that failed after its headers, a reply that could not be serialised) stay.
 */
export class AccessLogController extends LogController {
  override incomingRequest(): void {
    // The access line is written when the response closes.
  }

  override requestCompleted(): void {
    // Replaced by the access line, which also covers hijacked replies.
  }
}

/**
 * One line per request, through the app's logger (`request.log`, which carries `reqId`): method,
 * url (secrets in the query redacted; headers are never logged), status, response time in ms and
 * the client's address (`request.ip`, which believes X-Forwarded-For only under --trust-proxy).
 *
 * The line is written when the raw response closes rather than in Fastify's onResponse hook: a
 * hijacked reply (an event stream) and a request the client gave up on close without the `finish`
 * that onResponse waits for. Those carry `aborted: true`. Register it first, so the request id is
 * on every response, errors and hijacked streams included.
 */
export function registerAccessLog(app: FastifyInstance, options: AccessLogOptions): void {
  app.addHook('onRequest', async (request, reply) => {
    reply.raw.setHeader(REQUEST_ID_HEADER, request.id);
    reply.raw.once('close', () => logAccess(request, reply, options));
  });
}

function logAccess(request: FastifyRequest, reply: FastifyReply, options: AccessLogOptions): void {
  const statusCode = reply.raw.statusCode;
  const path = request.url.split('?')[0] ?? '';
  const aborted = !reply.raw.writableFinished;
  const line = {
    method: request.method,
    url: redactUrl(request.url),
    statusCode,
    responseTime: Math.round(reply.elapsedTime * 100) / 100,
    ip: request.ip,
    ...(aborted ? { aborted } : {}),
  };
  if (statusCode < 400 && options.quiet(path)) request.log.debug(line, 'request completed');
  else request.log.info(line, 'request completed');
}
