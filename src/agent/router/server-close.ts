import type { IncomingMessage, Server } from 'node:http';
import type { RouterResponse } from './proxy-exchange.js';
import type { Duplex } from 'node:stream';

/** How often idle keep-alive connections are closed while a listener drains. */
const IDLE_SWEEP_MS = 25;

/**
 * Graceful stop of a listener: no new connections; keep-alive connections are closed as soon as
 * they are idle; requests and WebSocket tunnels in flight get until the deadline, then are cut.
 * Resolves once the port is free and every connection is gone.
 */
export async function closeServer(server: Pick<Server<typeof IncomingMessage, typeof RouterResponse>, 'close' | 'closeIdleConnections' | 'closeAllConnections'>, tunnels: Set<Duplex>, drainTimeoutMs: number): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  const deadline = Date.now() + drainTimeoutMs;
  const sweep = setInterval(() => {
    server.closeIdleConnections();
    if (Date.now() >= deadline) {
      server.closeAllConnections();
      for (const socket of tunnels) socket.destroy();
    }
  }, IDLE_SWEEP_MS);
  try {
    server.closeIdleConnections();
    await closed;
    while (tunnels.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, IDLE_SWEEP_MS));
    for (const socket of tunnels) socket.destroy();
  } finally {
    clearInterval(sweep);
  }
}
