import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

const KEEPALIVE_MS = 15_000;
/** The `retry:` hint sent once per stream: how long a browser's EventSource waits before it reconnects. */
export const SSE_RETRY_MS = 1_000;

export interface SseChannel {
  /** Sends one event; `id` is its position in the stream, which a client sends back as Last-Event-ID to resume after it. */
  send(event: string, data: unknown, id?: string): void;
  close(): void;
  readonly closed: Promise<void>;
}

/**
 * The position a reconnecting client resumes after: the `Last-Event-ID` header (what EventSource and
 * the CLI send), else `?lastEventId=` for a client that cannot set headers.
 */
export function lastEventId(request: FastifyRequest): string | undefined {
  const header = request.headers['last-event-id'];
  const value = Array.isArray(header) ? header[0] : header;
  if (value !== undefined && value !== '') return value;
  const query = (request.query as Record<string, unknown> | undefined)?.lastEventId;
  return typeof query === 'string' && query !== '' ? query : undefined;
}

/** Opens a server-sent-events stream on the reply; `closed` resolves when either side ends it. */
export function openSse(reply: FastifyReply): SseChannel {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  res.write(`: gantry\nretry: ${SSE_RETRY_MS}\n\n`);
  let ended = false;
  let resolveClosed: () => void = () => undefined;
  const closed = new Promise<void>((resolve) => (resolveClosed = resolve));
  const keepalive = setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS);
  const finish = (): void => {
    if (ended) return;
    ended = true;
    clearInterval(keepalive);
    resolveClosed();
  };
  res.on('close', finish);
  return {
    send(event, data, id) {
      // An id never holds a line break (it would end the field); ours are digits, dots and base64url.
      if (!ended) res.write(`${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    },
    close() {
      if (!ended) res.end();
      finish();
    },
    closed,
  };
}

/**
 * The streams a group of routes has open. A stream never ends by itself and closing the server waits
 * for every connection, so as the server stops it closes them: clients reconnect (with
 * Last-Event-ID) to the server that comes back.
 */
export function sseStreams(app: FastifyInstance): { open(reply: FastifyReply): SseChannel } {
  const open = new Set<SseChannel>();
  app.addHook('preClose', (done) => {
    for (const sse of open) sse.close();
    done();
  });
  return {
    open(reply) {
      const sse = openSse(reply);
      open.add(sse);
      void sse.closed.then(() => open.delete(sse));
      return sse;
    },
  };
}
