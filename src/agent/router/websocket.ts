import type { IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { BackendEntry } from './backend-set.js';
import { RouterErrorCode, rawErrorResponse } from './error-response.js';
import { requestHeaders, type RequestFacts } from './headers.js';

/**
 * Carries an HTTP Upgrade request (WebSocket) to a backend over a fresh connection and then pipes
 * raw bytes both ways. The router reads only the first bytes of the backend's answer: its status
 * (for the counters) and where to add `x-gantry-backend`; everything after is opaque.
 * `tunnels` holds the client sockets still open, so the route can wait for them when it closes.
 */
export function tunnelUpgrade(req: IncomingMessage, client: Duplex, head: Buffer, entry: BackendEntry, tunnels: Set<Duplex>, logger: Logger): void {
  const startedAt = performance.now();
  const { counters } = entry;
  counters.requests++;
  tunnels.add(client);
  const facts: RequestFacts = { hasBody: false, upgrade: undefined };
  const headers = requestHeaders(req.rawHeaders, req.socket.remoteAddress, facts, true);
  let text = `${req.method ?? 'GET'} ${req.url ?? '/'} HTTP/1.1\r\n`;
  for (let i = 0; i < headers.length; i += 2) text += `${headers[i]}: ${headers[i + 1]}\r\n`;
  text += `connection: upgrade\r\nupgrade: ${facts.upgrade ?? 'websocket'}\r\n\r\n`;

  const upstream: Socket = connect({ host: entry.hostname, port: entry.port, noDelay: true });
  /** `gone`: the client left before the backend answered (not the backend's failure). */
  let state: 'waiting' | 'open' | 'failed' | 'gone' = 'waiting';
  const finish = (): void => {
    tunnels.delete(client);
    upstream.destroy();
    // After a failure the client socket is ending on its own, with the 502 still to flush.
    if (state !== 'failed') client.destroy();
  };
  const fail = (why: string, error?: Error): void => {
    state = 'failed';
    counters.errors++;
    logger.debug({ backend: entry.backend.id, err: error }, `upgrade: ${why}`);
    if (client.writable) client.end(rawErrorResponse(502, RouterErrorCode.UpstreamError, `backend ${entry.backend.id} ${why}`));
    finish();
  };

  upstream.once('connect', () => {
    upstream.write(text);
    if (head.length > 0) upstream.write(head);
    client.pipe(upstream);
  });
  upstream.once('data', (first: Buffer) => {
    state = 'open';
    const status = Number(first.subarray(9, 12).toString('latin1'));
    // A completed handshake (101) is the success of an upgrade: it counts with the 2xx.
    counters.delivered(status === 101 ? 200 : Number.isInteger(status) && status >= 200 ? status : 502, performance.now() - startedAt);
    client.write(withBackendHeader(first, entry.backend.id));
    upstream.pipe(client);
  });
  upstream.on('error', (error: Error) => {
    if (state === 'waiting') fail(`did not answer: ${error.message}`, error);
    else finish();
  });
  upstream.on('close', () => {
    if (state === 'waiting') fail('closed the connection without answering');
    else finish();
  });
  const clientEnded = (): void => {
    if (state === 'waiting') state = 'gone';
    finish();
  };
  client.on('error', clientEnded);
  client.on('close', clientEnded);
}

/** Puts `x-gantry-backend` right after the status line, when the first chunk holds all of it. */
function withBackendHeader(first: Buffer, backendId: string): Buffer {
  const eol = first.indexOf('\r\n');
  if (eol < 0 || !first.subarray(0, 5).equals(Buffer.from('HTTP/'))) return first;
  return Buffer.concat([first.subarray(0, eol + 2), Buffer.from(`x-gantry-backend: ${backendId}\r\n`, 'latin1'), first.subarray(eol + 2)]);
}
