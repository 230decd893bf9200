import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RuntimeApi } from '../../src/targets/routers/haproxy/runtime-api.js';
import { freePort } from './free-port.js';
import { until, type TempDirs } from './temp.js';

export interface HaproxyProcess {
  /** host:port of its runtime API (stats socket … level admin). */
  readonly runtimeApi: string;
  /** The frontend's URL. */
  readonly url: string;
  readonly pid: number;
  readonly output: () => string;
  stop(): Promise<void>;
}

/**
 * A real HAProxy (Debian's) on 127.0.0.1, in the foreground, with the config a user writes for
 * Gantry (docs/routers.md): the runtime API at level admin, an empty backend per service for Gantry
 * to fill, and with `matchBackend`, a second one the frontend picks for `x-canary: always`.
 */
export async function startHaproxy(temp: TempDirs, backend: string, matchBackend?: string): Promise<HaproxyProcess> {
  const frontend = `${matchBackend ? `  use_backend ${matchBackend} if { req.hdr(x-canary) -m str always } { nbsrv(${matchBackend}) gt 0 }\n` : ''}  default_backend ${backend}\n`;
  return startHaproxyWith(temp, frontend, [backend, ...(matchBackend ? [matchBackend] : [])]);
}

/** HAProxy with the given frontend rules (after its bind line) and empty roundrobin backends. */
export async function startHaproxyWith(temp: TempDirs, frontendRules: string, backends: readonly string[], socket: 'tcp' | 'unix' = 'tcp'): Promise<HaproxyProcess> {
  const dir = await temp.make('gantry-haproxy-');
  const [apiPort, frontendPort] = [await freePort(), await freePort()];
  const runtimeApi = socket === 'unix' ? join(dir, 'admin.sock') : `127.0.0.1:${apiPort}`;
  const config = `global
  stats socket ${runtimeApi} level admin
defaults
  mode http
  timeout connect 2s
  timeout client 30s
  timeout server 30s
frontend web
  bind 127.0.0.1:${frontendPort}
${frontendRules}${backends.map((b) => `backend ${b}\n  balance roundrobin\n`).join('')}`;
  await writeFile(join(dir, 'haproxy.cfg'), config);
  const child = spawn('haproxy', ['-db', '-f', join(dir, 'haproxy.cfg')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (c: Buffer) => (log += c.toString()));
  child.stderr.on('data', (c: Buffer) => (log += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };
  try {
    const api = new RuntimeApi(runtimeApi, 'the test');
    await until('haproxy to answer on its runtime API', async () => {
      if (child.exitCode !== null) throw new Error(`haproxy exited with ${child.exitCode}: ${log}`);
      return (await api.query(['show info'])).includes('Name: HAProxy');
    }, 10_000);
  } catch (error: unknown) {
    await stop();
    throw error;
  }
  return { runtimeApi, url: `http://127.0.0.1:${frontendPort}`, pid: child.pid ?? 0, output: () => log, stop };
}
