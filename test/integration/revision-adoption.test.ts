import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, readlink, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { groupAlive } from '../../src/agent/supervisor/process-group.js';
import { OciLayout, packBundle } from '../../src/artifacts/index.js';
import { ociLayoutRef } from '../../src/targets/artifact-ref.js';
import { cliEntry } from '../../src/targets/local/agent-launcher.js';
import { LocalTarget } from '../../src/targets/local/local-target.js';
import type { RevisionSpec, RevisionStatus } from '../../src/targets/target.js';
import { TempDirs, until } from '../support/temp.js';

/**
 * Issue 17, item 2: revisions outlive the agent. A real `gantry agent` (node dist/cli/main.js agent;
 * run the build first) is killed with -9 while it runs a revision; the next `gantry agent` on the
 * same data folder adopts the revision process instead of restarting it, and reads on from its
 * output FIFOs. The service logs a line per request on stdout, so a broken pipe would kill it (EPIPE).
 */
const SERVICE_JS = `import { createServer } from 'node:http';
createServer((req, res) => {
  if (req.url === '/healthz') { res.end('ok'); return; }
  console.log('served ' + req.url);
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ revision: process.env.GANTRY_REVISION, pid: process.pid }));
}).listen(Number(process.env.PORT), '127.0.0.1');
`;

const temp = new TempDirs();
let layout = '';
let digest = '';

beforeAll(async () => {
  if (!existsSync(cliEntry())) throw new Error(`${cliEntry()} is missing: run \`npm run build\` before this test file`);
  delete process.env.GANTRY_AGENT_TOKEN;
  const root = await temp.make('gantry-adopt-artifact-');
  await mkdir(join(root, 'service'));
  await writeFile(join(root, 'service', 'server.mjs'), SERVICE_JS);
  layout = join(root, 'layout');
  const store = new OciLayout(layout);
  await store.init();
  digest = (await store.put('api', await packBundle(join(root, 'service')))).manifestDigest;
});

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

interface Fixture {
  readonly root: string;
  readonly configPath: string;
  readonly dataDir: string;
  readonly tokenFile: string;
  readonly token: string;
  readonly port: number;
}

const roots: string[] = [];

async function fixture(): Promise<Fixture> {
  const root = await temp.make('gantry-adopt-');
  roots.push(root);
  // 27600–28190: clear of agent.test.ts (28600+), the demo and the deploy fixtures.
  const port = await until('a free loopback port', async () => {
    const candidate = 27_600 + Math.floor(Math.random() * 590);
    return (await isFree(candidate)) ? candidate : undefined;
  }, 5_000, 1);
  const configPath = join(root, 'gantry.yaml');
  await writeFile(
    configPath,
    `version: 1\nproject:\n  name: adopt-test\nrepository:\n  url: .\nservices:\n  api:\n    path: api\n    run:\n      command: node server.mjs\n      port: ${port}\n    health:\n      path: /healthz\nenvironments:\n  dev:\n    branch: develop\n`,
  );
  const token = `gta_test_${Math.random().toString(36).slice(2)}`;
  const tokenFile = join(root, 'agent.token');
  await writeFile(tokenFile, `${token}\n`, { mode: 0o600 });
  return { root, configPath, dataDir: join(root, 'data'), tokenFile, token, port };
}

interface AgentProcess {
  readonly child: ChildProcess;
  readonly url: string;
  readonly exited: Promise<void>;
  /** The worker's pid when the agent runs one (agent.json's workerPid). */
  readonly workerPid: number | undefined;
}

const agents: AgentProcess[] = [];
const alive = (child: ChildProcess): boolean => child.exitCode === null && child.signalCode === null;

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** `gantry agent` as a user starts it; resolves once agent.json names this process and its control API answers. */
async function spawnAgent(f: Fixture): Promise<AgentProcess> {
  const env = { ...process.env };
  delete env.GANTRY_AGENT_TOKEN;
  delete env.GANTRY_DATA_DIR;
  const child = spawn(process.execPath, [cliEntry(), 'agent', '--config', f.configPath, '--data-dir', f.dataDir, '--target', 'local', '--port', '0', '--token-file', f.tokenFile], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let log = '';
  child.stdout?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const started: AgentProcess = { child, exited, url: '', workerPid: undefined };
  agents.push(started);
  const record = await until(`gantry agent (pid ${child.pid}) to start`, async () => {
    if (!alive(child)) throw new Error(`the agent exited with ${child.exitCode ?? child.signalCode}:\n${log}`);
    const found = JSON.parse(await readFile(join(f.dataDir, 'agent.json'), 'utf8')) as { url: string; pid: number; workerPid?: number };
    if (found.pid !== child.pid) return undefined;
    const res = await fetch(`${found.url}/v1/health`, { headers: { authorization: `Bearer ${f.token}` } });
    return res.ok ? found : undefined;
  }, 20_000);
  const ready = { ...started, url: record.url, workerPid: record.workerPid };
  agents.splice(agents.indexOf(started), 1, ready);
  return ready;
}

/** kill -9 of the agent, and the wait until nothing of it runs (a worker leaves when its parent is gone). */
async function killAgent(a: AgentProcess): Promise<void> {
  a.child.kill('SIGKILL');
  await a.exited;
  const worker = a.workerPid;
  if (worker !== undefined) await until(`the agent worker ${worker} to leave`, () => !pidAlive(worker), 10_000);
}

async function processesIn(dir: string): Promise<number[]> {
  const found: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const cwd = await readlink(`/proc/${name}/cwd`).catch(() => '');
    if (cwd === dir || cwd.startsWith(`${dir}/`)) found.push(Number(name));
  }
  return found;
}

afterEach(async () => {
  for (const a of agents.splice(0)) {
    if (!alive(a.child)) continue;
    a.child.kill('SIGTERM');
    const timer = setTimeout(() => a.child.kill('SIGKILL'), 15_000);
    await a.exited;
    clearTimeout(timer);
  }
  // Whatever a kill -9 left and no later agent stopped must not outlive the test.
  for (const root of roots.splice(0)) for (const pid of await processesIn(root)) if (pidAlive(pid)) process.kill(pid, 'SIGKILL');
});
afterAll(() => temp.cleanup());

function spec(revision: number): RevisionSpec {
  return {
    environment: 'dev',
    service: 'api',
    revision,
    release: `rel${revision}`,
    artifact: { digest, ref: ociLayoutRef(layout, digest) },
    command: 'node server.mjs',
    env: {},
    secretKeys: [],
    replicas: 1,
    health: { path: '/healthz', expectStatus: 200, intervalMs: 100, timeoutMs: 1_000 },
  };
}

async function revision(t: LocalTarget, number: number): Promise<RevisionStatus | undefined> {
  return (await t.describe('dev')).find((s) => s.service === 'api')?.revisions.find((r) => r.revision === number);
}

async function get(port: number, path: string): Promise<{ revision: string; pid: number }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  if (res.status !== 200) throw new Error(`GET ${path} on ${port} answered ${res.status}`);
  return (await res.json()) as { revision: string; pid: number };
}

/** An agent serving revision 1 on the route, ready; with the pid of its service process and the replica's port. */
async function runningRevision(f: Fixture): Promise<{ agent: AgentProcess; pid: number; group: number; replicaPort: number }> {
  const agent = await spawnAgent(f);
  const t = new LocalTarget('local', () => Promise.resolve(agent.url), f.token);
  await t.startRevision(spec(1));
  const ready = await until('revision 1 to be ready', async () => ((await revision(t, 1))?.phase === 'ready' ? revision(t, 1) : undefined), 15_000);
  await t.setWeights('dev', 'api', 'main', { '1': 100 });
  const body = await until('the route to serve revision 1', () => get(f.port, '/before'), 10_000);
  const state = JSON.parse(await readFile(join(f.dataDir, 'state.json'), 'utf8')) as { services: { revisions: { pids: number[] }[] }[] };
  const group = state.services[0]?.revisions[0]?.pids[0] ?? 0;
  return { agent, pid: body.pid, group, replicaPort: ready?.ports[0] ?? 0 };
}

describe('revisions outlive the agent', () => {
  it('adopts a revision that kept running through a kill -9 of the agent: same pid, no restart, its output read on', async () => {
    const f = await fixture();
    const before = await runningRevision(f);
    await killAgent(before.agent);

    const fifo = await stat(join(f.dataDir, 'pipes', 'dev.api.1.0.out'));
    expect(fifo.isFIFO()).toBe(true);
    expect(fifo.mode & 0o777).toBe(0o600);
    // No agent runs: the service answers on its own port and logs each request to its stdout FIFO.
    for (let i = 0; i < 5; i++) expect((await get(before.replicaPort, `/while-down-${i}`)).pid).toBe(before.pid);

    const after = await spawnAgent(f);
    const t = new LocalTarget('local', () => Promise.resolve(after.url), f.token);
    const adopted = await until('the adopted revision to be ready', async () => {
      const r = await revision(t, 1);
      return r?.phase === 'ready' ? r : undefined;
    }, 10_000);
    expect(adopted).toMatchObject({ restarts: 0, ports: [before.replicaPort], lastError: null });
    expect(await groupAlive(before.group)).toBe(true);
    expect((await get(f.port, '/after')).pid).toBe(before.pid);

    const lines = await until('the log to hold what was written while no agent ran, and after', async () => {
      const log = await t.logs('dev', 'api', 1, 200);
      return log.some((l) => l.includes('served /after')) ? log : undefined;
    }, 10_000);
    for (let i = 0; i < 5; i++) expect(lines).toContain(`served /while-down-${i}`);
    expect(lines).toContain('served /before');
    expect(lines.some((l) => l.includes(`adopted process group ${before.group}`))).toBe(true);
    // Still the very process: never restarted, never died of a broken pipe.
    expect((await revision(t, 1))?.restarts).toBe(0);
    expect(pidAlive(before.pid)).toBe(true);
  });

  it('starts a revision again on its port when its process died while no agent ran', async () => {
    const f = await fixture();
    const before = await runningRevision(f);
    await killAgent(before.agent);
    process.kill(-before.group, 'SIGKILL');
    await until(`process group ${before.group} to be gone`, async () => !(await groupAlive(before.group)), 5_000);

    const after = await spawnAgent(f);
    const t = new LocalTarget('local', () => Promise.resolve(after.url), f.token);
    await until('revision 1 to be ready again', async () => (await revision(t, 1))?.phase === 'ready', 15_000);
    const body = await until('the route to serve revision 1 again', () => get(f.port, '/again'), 10_000);
    expect(body.pid).not.toBe(before.pid);
    expect((await revision(t, 1))?.ports).toEqual([before.replicaPort]);
    const log = await t.logs('dev', 'api', 1, 200);
    expect(log.some((l) => l.includes('adopted'))).toBe(false);
    // Once by the first agent, once by the second: a new process on the same port.
    expect(log.filter((l) => l.includes('started as process group'))).toHaveLength(2);
  });

  it('restarts an adopted revision that dies, saying its exit code is unknown', async () => {
    const f = await fixture();
    const before = await runningRevision(f);
    await killAgent(before.agent);
    const after = await spawnAgent(f);
    const t = new LocalTarget('local', () => Promise.resolve(after.url), f.token);
    await until('the adopted revision to be ready', async () => (await revision(t, 1))?.phase === 'ready', 10_000);

    // Not the new agent's child: no exit event reaches it, only its polling of /proc sees the death.
    process.kill(-before.group, 'SIGKILL');
    const back = await until('the revision to be restarted and ready', async () => {
      const r = await revision(t, 1);
      return r?.phase === 'ready' && r.restarts === 1 ? r : undefined;
    }, 15_000);
    expect(back.lastError).toContain('exit code is unknown');
    expect(back.ports).toEqual([before.replicaPort]);
    expect((await get(f.port, '/restarted')).pid).not.toBe(before.pid);
  });

  it('stops an adopted revision and all of it when asked, once its traffic moved away', async () => {
    const f = await fixture();
    const before = await runningRevision(f);
    await killAgent(before.agent);
    const after = await spawnAgent(f);
    const t = new LocalTarget('local', () => Promise.resolve(after.url), f.token);
    await until('the adopted revision to be ready', async () => (await revision(t, 1))?.phase === 'ready', 10_000);
    await t.startRevision(spec(2));
    await until('revision 2 to be ready', async () => (await revision(t, 2))?.phase === 'ready', 15_000);
    await t.setWeights('dev', 'api', 'main', { '2': 100 });

    await t.stopRevision('dev', 'api', 1);
    await until(`the adopted process group ${before.group} to be gone`, async () => !(await groupAlive(before.group)), 10_000);
    expect(await isFree(before.replicaPort)).toBe(true);
    expect(existsSync(join(f.dataDir, 'pipes', 'dev.api.1.0.out'))).toBe(false);
    expect((await get(f.port, '/after-stop')).revision).toBe('2');
  });

  it('leaves alone a process that now holds the recorded pid but started at another time, and starts the revision again', async () => {
    const f = await fixture();
    const before = await runningRevision(f);
    await killAgent(before.agent);
    process.kill(-before.group, 'SIGKILL');
    await until(`process group ${before.group} to be gone`, async () => !(await groupAlive(before.group)), 5_000);
    // A pid reused by a process that is none of the agent's: its own group, outside any containment.
    const stranger = spawn('sleep', ['300'], { detached: true, stdio: 'ignore', cwd: f.root });
    const strangerPid = stranger.pid ?? 0;
    const stateFile = join(f.dataDir, 'state.json');
    const state = JSON.parse(await readFile(stateFile, 'utf8')) as { services: { revisions: { pids: number[] }[] }[] };
    const recorded = state.services[0]?.revisions[0];
    if (!recorded) throw new Error('state.json records no revision');
    recorded.pids = [strangerPid];
    await writeFile(stateFile, JSON.stringify(state));

    const after = await spawnAgent(f);
    const t = new LocalTarget('local', () => Promise.resolve(after.url), f.token);
    await until('revision 1 to be ready again', async () => (await revision(t, 1))?.phase === 'ready', 15_000);
    expect((await get(f.port, '/again')).pid).not.toBe(before.pid);
    expect(pidAlive(strangerPid)).toBe(true);
    expect(stranger.exitCode).toBeNull();
    stranger.kill('SIGKILL');
  });

  it('adopts its revisions again when only the agent worker is killed with -9 (its parent starts another)', async () => {
    const f = await fixture();
    const before = await runningRevision(f);
    const worker = before.agent.workerPid;
    if (worker === undefined) throw new Error('agent.json names no worker: this agent runs no parent/worker split');
    process.kill(worker, 'SIGKILL');
    const health = await until('a new agent worker to answer', async () => {
      const res = await fetch(`${before.agent.url}/v1/health`, { headers: { authorization: `Bearer ${f.token}` } });
      const body = (await res.json()) as { workerPid?: number };
      return res.ok && body.workerPid !== undefined && body.workerPid !== worker ? body : undefined;
    }, 15_000);
    expect(health.workerPid).not.toBe(worker);
    const t = new LocalTarget('local', () => Promise.resolve(before.agent.url), f.token);
    const adopted = await until('the adopted revision to be ready', async () => {
      const r = await revision(t, 1);
      return r?.phase === 'ready' ? r : undefined;
    }, 10_000);
    expect(adopted.restarts).toBe(0);
    expect((await get(f.port, '/after-worker')).pid).toBe(before.pid);
    await until('the log to hold the line served after the worker restart', async () => (await t.logs('dev', 'api', 1, 200)).includes('served /after-worker'), 10_000);
  });
});
