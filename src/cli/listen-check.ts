import { createServer } from 'node:net';
import { GantryError } from '../errors/index.js';

const REASONS: Readonly<Record<string, (where: string, host: string) => { message: string; hint: string }>> = {
  EADDRINUSE: (where) => ({ message: `${where} is already in use`, hint: 'Another program listens there (perhaps a gantry server already running): stop it, or pass another --port.' }),
  EACCES: (where) => ({ message: `not allowed to listen on ${where}`, hint: 'Ports below 1024 need privileges: pass --port 1024 or above.' }),
  EADDRNOTAVAIL: (_where, host) => ({ message: `${host} is not an address of this machine`, hint: 'Pass a --host this machine has: 127.0.0.1 (this machine only) or 0.0.0.0 (every interface).' }),
  ENOTFOUND: (_where, host) => ({ message: `the host name ${host} does not resolve`, hint: 'Pass an address or a name of this machine with --host, e.g. 127.0.0.1.' }),
  EAI_AGAIN: (_where, host) => ({ message: `the host name ${host} could not be resolved now`, hint: 'Pass an address with --host, e.g. 127.0.0.1.' }),
};

/**
 * Binds and releases the address before a server makes anything (data folder, admin token), so a
 * port in use or a host that is not ours fails at once with the reason, and leaves nothing behind.
 * Port 0 (any free port) cannot be taken, so only the host is checked then.
 */
export async function checkCanListen(host: string, port: number): Promise<void> {
  const probe = createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      probe.once('error', reject);
      probe.listen({ host, port, exclusive: true }, resolve);
    });
  } catch (cause: unknown) {
    const code = typeof cause === 'object' && cause !== null && 'code' in cause ? String(cause.code) : '';
    const where = `${host}:${port}`;
    const reason = REASONS[code]?.(where, host) ?? { message: `cannot listen on ${where}: ${cause instanceof Error ? cause.message : String(cause)}`, hint: 'Check --host and --port.' };
    throw new GantryError('LISTEN_FAILED', reason.message, { cause, hint: reason.hint });
  } finally {
    await new Promise<void>((resolve) => (probe.listening ? probe.close(() => resolve()) : resolve()));
  }
}
