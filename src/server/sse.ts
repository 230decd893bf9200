import type { FastifyReply } from 'fastify';

const KEEPALIVE_MS = 15_000;

export interface SseChannel {
  send(event: string, data: unknown): void;
  close(): void;
  readonly closed: Promise<void>;
}

/** Opens a server-sent-events stream on the reply; `closed` resolves when either side ends it. */
export function openSse(reply: FastifyReply): SseChannel {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  res.write(': gantry\n\n');
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
    send(event, data) {
      if (!ended) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    },
    close() {
      if (!ended) res.end();
      finish();
    },
    closed,
  };
}
