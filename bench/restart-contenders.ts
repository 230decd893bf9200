/**
 * What bench/agent-restart.ts restarts under load: a real `gantry agent` (started as a user starts
 * it, `node dist/cli/main.js agent …`, its revision put and routed over its control API by the
 * local target's client), and HAProxy in master-worker mode (`haproxy -W -db`) in front of the same
 * revision process. Each `restart` sends its signal and resolves once the new process answers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, open, readFile, readdir, readlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { OciLayout, packBundle } from '../src/artifacts/index.js';
import { ociLayoutRef } from '../src/targets/artifact-ref.js';
import { cliEntry } from '../src/targets/local/agent-launcher.js';
import { LocalTarget } from '../src/targets/local/local-target.js';
import type { Restart } from './restart-figures.js';
import { nowMs } from './restart-load.js';
import { freePort, waitForPort } from './router.js';

/** The revision's service: ~60 bytes of JSON on every path but /healthz. */
const SERVICE_JS = `import { createServer } from 'node:http';
const server = createServer((req, res) => {
  if (req.url === '/healthz') { res.end('ok'); return; }
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ service: process.env.GANTRY_SERVICE, revision: process.env.GANTRY_REVISION }));
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

/** Polls `probe` every 25 ms until it returns a value; throws what it throws, or after `timeoutMs`. */
export async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const alive = (proc: ChildProcess): boolean => proc.exitCode === null && proc.signalCode === null;

function killQuietly(pid: number | undefined, signal: NodeJS.Signals = 'SIGKILL'): void {
  if (!pid) return;
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}

/** Sends SIGTERM, then SIGKILL after `graceMs`; resolves once the process exited. */
async function stopChild(proc: ChildProcess, graceMs: number): Promise<void> {
  if (!alive(proc)) return;
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  proc.kill('SIGTERM');
  const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

export interface GantryAgent {
  readonly routeUrl: string;
  /** The revision process's own port: the backend HAProxy and the direct row use. */
  readonly backendPort: number;
  restart(signal: 'SIGKILL' | 'SIGTERM'): Promise<Restart>;
  stop(): Promise<void>;
}

export async function startGantryAgent(root: string): Promise<GantryAgent> {
  await mkdir(join(root, 'service'), { recursive: true });
  await writeFile(join(root, 'service', 'server.mjs'), SERVICE_JS);
  const layout = new OciLayout(join(root, 'layout'));
  await layout.init();
  const stored = await layout.put('svc', await packBundle(join(root, 'service')));
  const routePort = await freePort();
  const configPath = join(root, 'gantry.yaml');
  await writeFile(configPath, `version: 1\nproject:\n  name: agent-restart-bench\nrepository:\n  url: .\nservices:\n  svc:\n    path: svc\n    run:\n      command: node server.mjs\n      port: ${routePort}\n    health:\n      path: /healthz\nenvironments:\n  production:\n    branch: main\n`);
  const dataDir = join(root, 'data');
  const token = `gta_bench_${Math.random().toString(36).slice(2)}`;
  await writeFile(join(root, 'agent.token'), `${token}\n`, { mode: 0o600 });
  const env = { ...process.env };
  delete env.GANTRY_AGENT_TOKEN;
  delete env.GANTRY_DATA_DIR;
  const args = [cliEntry(), 'agent', '--config', configPath, '--data-dir', dataDir, '--target', 'local', '--port', '0', '--token-file', join(root, 'agent.token')];
  // The agent's log (parent and worker) goes to a file: agent.log in the bench's folder.
  const logFile = await open(join(root, 'agent.log'), 'a');
  const parent = spawn(process.execPath, args, { stdio: ['ignore', logFile.fd, logFile.fd], env });
  await logFile.close();
  const log = (): Promise<string> => readFile(join(root, 'agent.log'), 'utf8').then((text) => text.slice(-4_000), () => '');
  const record = async (): Promise<{ url: string; pid: number; workerPid: number }> => JSON.parse(await readFile(join(dataDir, 'agent.json'), 'utf8')) as never;
  const health = async (): Promise<{ workerPid?: number }> => {
    const res = await fetch(`${(await record()).url}/v1/health`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(2_000) });
    return res.ok ? ((await res.json()) as { workerPid?: number }) : {};
  };
  const stop = async (): Promise<void> => {
    const workerPid = await record().then((r) => r.workerPid, () => undefined);
    await stopChild(parent, 20_000);
    killQuietly(workerPid);
    // A revision the agent did not stop must not outlive the bench: whatever runs inside the root.
    for (const name of await readdir('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      const cwd = await readlink(`/proc/${name}/cwd`).catch(() => '');
      if (cwd.startsWith(`${root}/`)) killQuietly(Number(name));
    }
  };
  try {
    await until('the agent to answer', async () => {
      if (!alive(parent)) throw new Error(`gantry agent exited (${parent.exitCode ?? parent.signalCode}):\n${await log()}`);
      const ready = async (): Promise<boolean> => (await record()).pid === parent.pid && (await health()).workerPid !== undefined;
      return (await ready().catch(() => false)) ? true : undefined;
    });
    const target = new LocalTarget('local', async () => (await record()).url, token);
    const probe = { path: '/healthz', expectStatus: 200, intervalMs: 500, timeoutMs: 1_000 };
    await target.startRevision({ environment: 'production', service: 'svc', revision: 1, release: 'bench', artifact: { digest: stored.manifestDigest, ref: ociLayoutRef(join(root, 'layout'), stored.manifestDigest) }, command: 'node server.mjs', env: {}, secretKeys: [], replicas: 1, health: probe });
    const backendPort = await until('revision 1 to be ready', async () => {
      const revision = (await target.describe('production'))[0]?.revisions.find((r) => r.revision === 1);
      if (revision?.phase === 'crash-loop') throw new Error('the bench service does not start: see the agent log');
      return revision?.phase === 'ready' ? revision.ports[0] : undefined;
    });
    await target.setWeights('production', 'svc', 'main', { '1': 100 });
    await waitForPort(routePort);
    return {
      routeUrl: `http://127.0.0.1:${routePort}`,
      backendPort,
      stop,
      async restart(signal) {
        const before = (await record()).workerPid;
        const signalAt = nowMs();
        process.kill(before, signal);
        await until(`a worker after ${before} to answer`, async () => {
          const now = (await health().catch(() => ({ workerPid: undefined }))).workerPid;
          return now !== undefined && now !== before ? now : undefined;
        });
        return { signalAt, answeringAt: nowMs() };
      },
    };
  } catch (error: unknown) {
    await stop();
    throw error;
  }
}

export interface HaproxyMasterWorker {
  readonly url: string;
  readonly version: string;
  /** `kill -USR2 <master>`; answered once the master logs the new worker's "Loading success." */
  restart(): Promise<Restart>;
  stop(): Promise<void>;
}

/**
 * With `idleCloseOnResponse`, the old worker of a reload keeps an idle client connection until it
 * has answered one more request (with `Connection: close`) instead of closing it at once, where a
 * request already on its way is lost (HAProxy's configuration manual, "option idle-close-on-response").
 */
export async function startHaproxyMasterWorker(root: string, backendPort: number, idleCloseOnResponse: boolean): Promise<HaproxyMasterWorker> {
  const port = await freePort();
  const file = join(root, `haproxy-${port}.cfg`);
  // The documented seamless reload: the stats socket exposes the listeners, the master passes -x.
  const global = ['global', '  maxconn 4000', `  stats socket ${join(root, `haproxy-${port}.sock`)} mode 600 level admin expose-fd listeners`];
  const defaults = ['defaults', '  mode http', '  timeout connect 5s', '  timeout client 60s', '  timeout server 60s', '  option http-keep-alive', ...(idleCloseOnResponse ? ['  option idle-close-on-response'] : [])];
  await writeFile(file, [...global, ...defaults, 'frontend fe', `  bind 127.0.0.1:${port}`, '  default_backend be', 'backend be', `  server s1 127.0.0.1:${backendPort}`, ''].join('\n'));
  const master = spawn('haproxy', ['-W', '-db', '-f', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  master.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const loaded = (): number => log.split('Loading success.').length - 1;
  const workers = async (): Promise<number[]> => (await readFile(`/proc/${master.pid}/task/${master.pid}/children`, 'utf8').catch(() => '')).split(' ').filter(Boolean).map(Number);
  const stop = async (): Promise<void> => {
    const left = await workers();
    await stopChild(master, 10_000);
    for (const pid of left) killQuietly(pid);
  };
  try {
    await until('HAProxy to load', async () => {
      if (!alive(master)) throw new Error(`haproxy exited (${master.exitCode ?? master.signalCode}):\n${log}`);
      return loaded() >= 1 ? true : undefined;
    }, 10_000);
    await waitForPort(port);
    const version = await new Promise<string>((resolve) => {
      const probe = spawn('haproxy', ['-v'], { stdio: ['ignore', 'pipe', 'ignore'] });
      let out = '';
      probe.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      probe.on('close', () => resolve(/version (\S+)/.exec(out)?.[1] ?? 'unknown'));
    });
    return {
      url: `http://127.0.0.1:${port}`,
      version,
      stop,
      async restart() {
        const before = loaded();
        const signalAt = nowMs();
        process.kill(master.pid ?? 0, 'SIGUSR2');
        await until('the reloaded HAProxy worker', async () => (loaded() > before ? true : undefined), 10_000);
        return { signalAt, answeringAt: nowMs() };
      },
    };
  } catch (error: unknown) {
    await stop();
    throw error;
  }
}
