import { createServer, request, type Agent, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';

/** Where one request or connection goes now; undefined when the Service has no ready endpoint. */
export type PickEndpoint = () => { ip: string; port: number } | undefined;

/**
 * An HTTP server (never listening itself) that sends each request, not each connection, to the
 * endpoint `pick` names at that moment: a client's kept-alive connection follows a selector flip
 * with its next request, as an L7 load balancer does. No ready endpoint: the connection is closed.
 */
export function httpForwarder(pick: PickEndpoint, track: (socket: Socket) => void, upstreamAgent: Agent): Server {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const target = pick();
    if (!target) {
      req.socket.destroy();
      return;
    }
    const upstream = request({ host: target.ip, port: target.port, method: req.method, path: req.url, headers: req.headers, agent: upstreamAgent }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.rawHeaders);
      answer.pipe(res);
    });
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502).end();
      else res.destroy();
    });
    req.pipe(upstream);
  });
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const target = pick();
    if (!target) {
      socket.destroy();
      return;
    }
    const upstream = connect(target.port, target.ip, () => {
      const lines = [`${req.method ?? 'GET'} ${req.url ?? '/'} HTTP/${req.httpVersion}`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i] ?? ''}: ${req.rawHeaders[i + 1] ?? ''}`);
      upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length > 0) upstream.write(head);
      socket.pipe(upstream).pipe(socket);
    });
    track(upstream);
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
  });
  server.on('connection', track);
  return server;
}

/** The first bytes of an HTTP/1 request: a method and a space. */
export const looksLikeHttp = (chunk: Buffer): boolean => /^[A-Z]{3,7} /.test(chunk.subarray(0, 8).toString('latin1'));

/** Plain TCP: the connection goes to one endpoint for its whole life. */
export function forwardTcp(socket: Socket, first: Buffer, pick: PickEndpoint, track: (socket: Socket) => void): void {
  const target = pick();
  if (!target) {
    socket.destroy();
    return;
  }
  const upstream = connect(target.port, target.ip);
  track(upstream);
  upstream.write(first);
  socket.pipe(upstream).pipe(socket);
  socket.on('error', () => upstream.destroy());
  upstream.on('error', () => socket.destroy());
}
