import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { connect } from 'node:net';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Who listens on a TCP port: a process when the system says (it names only this user's, or all as root), else just that something does. */
export interface Listener {
  readonly port: number;
  readonly process: string | null;
  readonly pid: number | null;
}

/** `LISTEN 0 511 127.0.0.1:7400 0.0.0.0:* users:(("node",pid=1234,fd=20))` → port 7400, node, 1234. */
export function parseSsLine(line: string): Listener | undefined {
  const local = line.trim().split(/\s+/)[3];
  const port = local ? Number(local.slice(local.lastIndexOf(':') + 1)) : Number.NaN;
  if (!Number.isInteger(port)) return undefined;
  const owner = /users:\(\("([^"]*)",pid=(\d+)/.exec(line);
  return { port, process: owner?.[1] ?? null, pid: owner?.[2] ? Number(owner[2]) : null };
}

/**
 * The program a pid runs, from its command line: `ss` names the listening thread instead, and Node
 * 24 calls its main thread "MainThread". The name `ss` gave when /proc does not say.
 */
function programOf(l: Listener): Listener {
  if (l.pid === null) return l;
  try {
    const argv0 = readFileSync(`/proc/${l.pid}/cmdline`, 'utf8').split('\0')[0];
    return argv0 ? { ...l, process: basename(argv0) } : l;
  } catch {
    return l;
  }
}

/** Every TCP listener by port, through `ss` (iproute2); undefined when `ss` is not there. */
export async function tcpListeners(): Promise<Map<number, Listener> | undefined> {
  let stdout: string;
  try {
    ({ stdout } = await run('ss', ['-Hltnp'], { timeout: 5_000 }));
  } catch {
    return undefined;
  }
  const byPort = new Map<number, Listener>();
  for (const line of stdout.split('\n')) {
    const l = parseSsLine(line);
    // IPv4 and IPv6 lines of one port: keep the one that names its process.
    if (l && (!byPort.has(l.port) || byPort.get(l.port)?.pid === null)) byPort.set(l.port, programOf(l));
  }
  return byPort;
}

/** Without `ss`: whether a connection to 127.0.0.1:port is accepted (the owner stays unknown). A real socket: a real, short timeout. */
export function acceptsConnections(port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = (value: boolean): void => {
      socket.destroy();
      resolve(value);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** The listener of one port, or null when nothing listens there. */
export async function listenerOf(port: number, all: Map<number, Listener> | undefined): Promise<Listener | null> {
  if (all) return all.get(port) ?? null;
  return (await acceptsConnections(port)) ? { port, process: null, pid: null } : null;
}

export const describeListener = (l: Listener): string => (l.pid !== null ? `${l.process ?? 'a process'} (pid ${l.pid})` : 'a process this user cannot name');
