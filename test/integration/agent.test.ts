import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, readFile, readdir, readlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startAgentProcess, type RunningAgent } from '../../src/agent/main.js';
import { groupAlive } from '../../src/agent/supervisor/process-group.js';
import { OciLayout, packBundle } from '../../src/artifacts/index.js';
import { loadConfigOrThrow, parseConfigText } from '../../src/config/loader.js';
import { routeLayout } from '../../src/targets/local/route-layout.js';
import { GantryError } from '../../src/errors/index.js';
import { ociLayoutRef } from '../../src/targets/artifact-ref.js';
import { cliEntry } from '../../src/targets/local/agent-launcher.js';
import { LocalTarget } from '../../src/targets/local/local-target.js';
import type { RevisionSpec, RevisionStatus, ServiceStatus } from '../../src/targets/target.js';
import { SteadyLoad } from '../support/steady-load.js';
import { TempDirs, until } from '../support/temp.js';

/**
 * `gantry agent`, the data plane, as a real process (`node dist/cli/main.js agent …`; run
 * `npm run build` first) driven through LocalTarget, the client the control plane uses, with a real
 * artifact: a tiny node:http service packed with packBundle into an OCI layout.
 */

/**
 * The service: answers `/healthz`, and everything else with what the agent told it about itself.
 * \`/set-health/<status>\` changes what \`/healthz\` answers in that replica only.
 * With GRANDCHILD_PORT it also starts a descendant that escapes its process group and session
 * (Node's detached, then `setsid`), listens on that port and writes its pid to GRANDCHILD_PID_FILE.
 */
const SERVICE_JS = `import { createServer } from 'node:http';
import { spawn } from 'node:child_process';
if (process.env.GRANDCHILD_PORT) {
  const code = "require('node:http').createServer((q, s) => s.end('grandchild')).listen(" + process.env.GRANDCHILD_PORT + ", '127.0.0.1', () => require('node:fs').writeFileSync(process.env.GRANDCHILD_PID_FILE, String(process.pid)))";
  spawn('setsid', [process.execPath, '-e', code], { detached: true, stdio: 'ignore' }).unref();
}
let health = 200;
const server = createServer((req, res) => {
  if (req.url === '/healthz') { res.writeHead(health); res.end('ok'); return; }
  if (req.url.startsWith('/set-health/')) { health = Number(req.url.split('/')[2]); res.end('set'); return; }
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ environment: process.env.GANTRY_ENVIRONMENT, service: process.env.GANTRY_SERVICE, revision: process.env.GANTRY_REVISION, release: process.env.GANTRY_RELEASE, greeting: process.env.GREETING ?? null, pid: process.pid }));
});
server.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

const PROD_OFFSET = 10;

/** dev runs on the default `local` target, production on `prod-agent`: two agents, never one. */
function agentConfig(port: number): string {
  return `version: 1
project:
  name: agent-test
repository:
  url: .
services:
  api:
    path: api
    run:
      command: node server.mjs
      port: ${port}
    health:
      path: /healthz
environments:
  dev:
    branch: develop
  production:
    branch: main
    portOffset: ${PROD_OFFSET}
    target: prod-agent
targets:
  prod-agent:
    kind: local
`;
}

interface Body {
  environment: string;
  service: string;
  revision: string;
  release: string;
  greeting: string | null;
  pid: number;
}

interface ErrorJson {
  code: string;
  message: string;
  hint?: string;
}

const temp = new TempDirs();
let layout = '';
let manifestDigest = '';
let layerDigest = '';

beforeAll(async () => {
  if (!existsSync(cliEntry())) throw new Error(`${cliEntry()} is missing: run \`npm run build\` before this test file`);
  // The agents read their token from the file the test writes, never from an inherited variable.
  delete process.env.GANTRY_AGENT_TOKEN;
  const root = await temp.make('gantry-agent-artifact-');
  const serviceDir = join(root, 'service');
  await mkdir(serviceDir);
  await writeFile(join(serviceDir, 'server.mjs'), SERVICE_JS);
  layout = join(root, 'layout');
  const store = new OciLayout(layout);
  await store.init();
  const stored = await store.put('api', await packBundle(serviceDir));
  manifestDigest = stored.manifestDigest;
  layerDigest = stored.layerDigest;
});

/** A loopback port nobody listens on right now. */
function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A random port in 28600–29990 for dev, free together with production's (port + PROD_OFFSET). */
async function listenerPort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    // 28600–29990: clear of the example demo (up to 28488) and of the deploy fixtures (30000+).
    const port = 28_600 + Math.floor(Math.random() * (1_400 - PROD_OFFSET));
    if ((await isFree(port)) && (await isFree(port + PROD_OFFSET))) return port;
  }
  throw new Error('no free pair of loopback ports in 28600–29990');
}

interface Fixture {
  readonly root: string;
  readonly configPath: string;
  readonly dataDir: string;
  readonly tokenFile: string;
  readonly token: string;
  /** dev's listener; production's is port + PROD_OFFSET. */
  readonly port: number;
}

/** Every fixture folder made so far: where leftover revision processes would run. */
const roots: string[] = [];

async function fixture(): Promise<Fixture> {
  const root = await temp.make('gantry-agent-');
  roots.push(root);
  const port = await listenerPort();
  const text = agentConfig(port);
  const configPath = join(root, 'gantry.yaml');
  const parsed = parseConfigText(text, configPath);
  if (!parsed.ok) throw new Error(`the generated gantry.yaml is invalid: ${JSON.stringify(parsed.errors)}`);
  await writeFile(configPath, text);
  const token = `gta_test_${Math.random().toString(36).slice(2)}`;
  const tokenFile = join(root, 'agent.token');
  await writeFile(tokenFile, `${token}\n`, { mode: 0o600 });
  return { root, configPath, dataDir: join(root, 'data'), tokenFile, token, port };
}

interface AgentProcess {
  readonly child: ChildProcess;
  readonly url: string;
  readonly exited: Promise<void>;
  readonly output: () => string;
}

const agents: AgentProcess[] = [];
const inProcess: RunningAgent[] = [];

function alive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** Spawns `gantry agent` and waits until it has recorded itself (agent.json with its pid) and answers. */
async function spawnAgent(f: Fixture, target: string, extraEnv: Record<string, string> = {}): Promise<AgentProcess> {
  const env = { ...process.env, ...extraEnv };
  delete env.GANTRY_AGENT_TOKEN;
  delete env.GANTRY_DATA_DIR;
  const child = spawn(
    process.execPath,
    [cliEntry(), 'agent', '--config', f.configPath, '--data-dir', f.dataDir, '--target', target, '--port', '0', '--token-file', f.tokenFile],
    { stdio: ['ignore', 'pipe', 'pipe'], env },
  );
  let log = '';
  child.stdout?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const agent = { child, exited, output: () => log };
  agents.push({ ...agent, url: '' });
  const url = await until(
    `agent ${target} (pid ${child.pid}) to start`,
    async () => {
      if (!alive(child)) throw new Error(`the agent exited with ${child.exitCode ?? child.signalCode}:\n${log}`);
      const record = JSON.parse(await readFile(join(f.dataDir, 'agent.json'), 'utf8')) as { url: string; pid: number };
      if (record.pid !== child.pid) return undefined;
      const res = await fetch(`${record.url}/v1/health`, { headers: { authorization: `Bearer ${f.token}` } });
      return res.ok ? record.url : undefined;
    },
    15_000,
  );
  const started = { ...agent, url };
  agents.splice(agents.findIndex((a) => a.child === child), 1, started);
  return started;
}

/** SIGTERM (the agent stops its revisions), SIGKILL when it has not exited within the deadline. */
async function stopAgent(a: AgentProcess): Promise<void> {
  if (!alive(a.child)) return;
  a.child.kill('SIGTERM');
  const timer = setTimeout(() => a.child.kill('SIGKILL'), 15_000);
  await a.exited;
  clearTimeout(timer);
}

/** Pids of live processes whose working folder is inside `dir` (Linux; elsewhere none are found). */
async function processesIn(dir: string): Promise<number[]> {
  if (process.platform !== 'linux') return [];
  const found: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const cwd = await readlink(`/proc/${name}/cwd`).catch(() => '');
    if (cwd === dir || cwd.startsWith(`${dir}/`)) found.push(Number(name));
  }
  return found;
}

afterEach(async () => {
  await Promise.all(inProcess.splice(0).map((a) => a.close()));
  await Promise.all(agents.splice(0).map((a) => stopAgent(a)));
  // A revision that a kill -9 left behind and no later agent stopped: never outlive the test.
  for (const root of roots.splice(0)) {
    for (const pid of await processesIn(root)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  }
});
afterAll(() => temp.cleanup());

function target(name: string, url: string, token: string): LocalTarget {
  return new LocalTarget(name, () => Promise.resolve(url), token);
}

function spec(environment: string, revision: number, over: Partial<RevisionSpec> = {}): RevisionSpec {
  return {
    environment,
    service: 'api',
    revision,
    release: `rel${revision}abc`,
    artifact: { digest: manifestDigest, ref: ociLayoutRef(layout, manifestDigest) },
    command: 'node server.mjs',
    env: { GREETING: 'hello from the test' },
    secretKeys: [],
    replicas: 1,
    health: { path: '/healthz', expectStatus: 200, intervalMs: 100, timeoutMs: 1_000 },
    ...over,
  };
}

async function service(t: LocalTarget, environment: string): Promise<ServiceStatus> {
  const found = (await t.describe(environment)).find((s) => s.service === 'api');
  if (!found) throw new Error(`describe(${environment}) lists no api`);
  return found;
}

function readyRevision(t: LocalTarget, environment: string, revision: number): Promise<RevisionStatus> {
  return until(`revision ${revision} of ${environment}/api to be ready`, async () => (await service(t, environment)).revisions.find((r) => r.revision === revision && r.phase === 'ready'), 15_000);
}

/** What a user reaching the environment's port gets, once it comes from `revision`. */
function servedBy(port: number, revision: number): Promise<Body> {
  return until(`port ${port} to serve revision ${revision}`, async () => {
    const res = await fetch(`http://127.0.0.1:${port}/`);
    const body = (await res.json()) as Body;
    return res.status === 200 && body.revision === String(revision) ? body : undefined;
  });
}

async function api(url: string, token: string, method: string, path: string, body?: string): Promise<{ status: number; json: ErrorJson }> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body }),
  });
  return { status: res.status, json: (await res.json()) as ErrorJson };
}

async function rejection(promise: Promise<unknown>): Promise<GantryError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GantryError);
  return error as GantryError;
}

/** Process group ids per revision as state.json recorded them (the supervisor runs `sh -c command` as a group leader). */
async function recordedGroups(dataDir: string): Promise<Map<number, number[]>> {
  const state = JSON.parse(await readFile(join(dataDir, 'state.json'), 'utf8')) as { services: { revisions: { spec: { revision: number }; pids: number[] }[] }[] };
  return new Map(state.services.flatMap((s) => s.revisions.map((r) => [r.spec.revision, r.pids] as const)));
}

async function recordedGroup(dataDir: string, revision: number): Promise<number> {
  const group = (await recordedGroups(dataDir)).get(revision)?.[0];
  if (!group) throw new Error(`state.json records no process of revision ${revision}`);
  return group;
}

/** The process group of a pid (Linux /proc; undefined elsewhere or when it is gone). */
async function groupOf(pid: number): Promise<number | undefined> {
  if (process.platform !== 'linux') return undefined;
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields[2] === undefined ? undefined : Number(fields[2]);
}

/** The `node server.mjs` processes (not their `sh -c` leaders) running inside `dir`. */
async function serviceProcessesIn(dir: string): Promise<number[]> {
  const found: number[] = [];
  for (const pid of await processesIn(dir)) {
    const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0');
    if (argv[1] === 'server.mjs') found.push(pid);
  }
  return found;
}

describe('gantry agent', () => {
  it('refuses a control request without a token or with a wrong one, and answers health with the right one', async () => {
    const f = await fixture();
    const agent = await spawnAgent(f, 'local');

    const none = await fetch(`${agent.url}/v1/health`);
    expect(none.status).toBe(401);
    expect(((await none.json()) as ErrorJson).code).toBe('AUTH_REQUIRED');

    const wrong = await fetch(`${agent.url}/v1/health`, { headers: { authorization: `Bearer ${f.token}x` } });
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as ErrorJson).code).toBe('AUTH_INVALID');

    const describeWithout = await fetch(`${agent.url}/v1/environments/dev`);
    expect(describeWithout.status).toBe(401);

    const right = await fetch(`${agent.url}/v1/health`, { headers: { authorization: `Bearer ${f.token}` } });
    expect(right.status).toBe(200);
    expect(await right.json()).toMatchObject({ status: 'ok', pid: agent.child.pid, workerRestarts: 0, lastWorkerExit: null });
  });

  it('refuses an environment it does not serve, naming the ones it does', async () => {
    const f = await fixture();
    // In process: the point is the agent's isolation rule, not its process.
    const running = await startAgentProcess({ routes: routeLayout(await loadConfigOrThrow(f.configPath), 'prod-agent'), targetName: 'prod-agent', dataDir: f.dataDir, tokenFile: f.tokenFile, logger: pino({ level: 'silent' }) });
    inProcess.push(running);
    const t = target('prod-agent', running.url, f.token);

    const described = await rejection(t.describe('dev'));
    expect(described.code).toBe('ENVIRONMENT_NOT_SERVED');
    expect(described.hint).toContain('It serves: production');

    const started = await rejection(t.startRevision(spec('dev', 1)));
    expect(started.code).toBe('ENVIRONMENT_NOT_SERVED');
    const raw = await api(running.url, f.token, 'PUT', '/v1/environments/dev/services/api/routes/main', JSON.stringify({ weights: {} }));
    expect(raw.status).toBe(403);
    expect(raw.json.code).toBe('ENVIRONMENT_NOT_SERVED');

    // What it does serve answers, and dev's listener was never opened by this agent.
    expect((await service(t, 'production')).port).toBe(f.port + PROD_OFFSET);
    expect(await isFree(f.port)).toBe(true);
    expect(await processesIn(f.dataDir)).toEqual([]);
  });

  it('starts a revision from its artifact, and the environment port serves it once routed, with the env the agent sets', async () => {
    const f = await fixture();
    const agent = await spawnAgent(f, 'local');
    const t = target('local', agent.url, f.token);

    await t.startRevision(spec('dev', 1));
    const ready = await readyRevision(t, 'dev', 1);
    expect(ready).toMatchObject({ release: 'rel1abc', digest: manifestDigest, restarts: 0, lastError: null });
    // Ready but not routed: users get nothing from it yet.
    expect((await fetch(`http://127.0.0.1:${f.port}/`)).status).toBe(503);

    await t.setWeights('dev', 'api', 'main', { '1': 100 });
    expect(await t.url('dev', 'api', 'main')).toBe(`http://127.0.0.1:${f.port}`);
    const body = await servedBy(f.port, 1);
    expect(body).toMatchObject({ environment: 'dev', service: 'api', revision: '1', release: 'rel1abc', greeting: 'hello from the test' });
    expect((await service(t, 'dev')).weights.main).toEqual({ '1': 100 });
  });

  it('takes every env value for a secret when a control plane older than secretKeys sends none', async () => {
    const f = await fixture();
    const agent = await spawnAgent(f, 'local');
    const t = target('local', agent.url, f.token);
    const { secretKeys: _omitted, ...old } = spec('dev', 1, { env: { GREETING: 'hello from the test', OTHER: 'some value' } });
    const started = await api(agent.url, f.token, 'PUT', '/v1/environments/dev/services/api/revisions/1', JSON.stringify(old));
    expect(started.status).toBe(202);
    await readyRevision(t, 'dev', 1);
    const state = JSON.parse(await readFile(join(f.dataDir, 'state.json'), 'utf8')) as { services: { revisions: { spec: { env: object; secretKeys: string[] } }[] }[] };
    expect(state.services.flatMap((s) => s.revisions.map((r) => r.spec))).toEqual([expect.objectContaining({ env: {}, secretKeys: ['GREETING', 'OTHER'] })]);
  });

  it('refuses a tampered artifact before anything starts', async () => {
    const f = await fixture();
    const damaged = join(f.root, 'layout');
    await cp(layout, damaged, { recursive: true });
    const blob = join(damaged, 'blobs', 'sha256', layerDigest.slice('sha256:'.length));
    const bytes = await readFile(blob);
    bytes[bytes.length >> 1] = (bytes[bytes.length >> 1] ?? 0) ^ 0xff;
    await writeFile(blob, bytes);
    const agent = await spawnAgent(f, 'local');
    const t = target('local', agent.url, f.token);

    const error = await rejection(t.startRevision(spec('dev', 1, { artifact: { digest: manifestDigest, ref: ociLayoutRef(damaged, manifestDigest) } })));
    expect(error.code).toBe('ARTIFACT_DIGEST_MISMATCH');
    // A source it cannot fetch from, or a ref that names no digest, is refused the same way, before anything starts.
    const registry = await rejection(t.startRevision(spec('dev', 1, { artifact: { digest: manifestDigest, ref: `registry.example/api@${manifestDigest}` } })));
    expect(registry).toMatchObject({ code: 'ARTIFACT_REF_INVALID', message: expect.stringContaining('cannot fetch from') });
    const undigested = await rejection(t.startRevision(spec('dev', 1, { artifact: { digest: manifestDigest, ref: `oci-layout:${layout}` } })));
    expect(undigested.code).toBe('ARTIFACT_REF_INVALID');

    expect((await service(t, 'dev')).revisions).toEqual([]);
    expect(await processesIn(f.dataDir)).toEqual([]);
    expect(existsSync(join(f.dataDir, 'revisions', 'dev', 'api', 'r1', 'server.mjs'))).toBe(false);
    expect(existsSync(join(f.dataDir, 'logs', 'dev', 'api', 'r1-0.log'))).toBe(false);
    expect(alive(agent.child)).toBe(true);
  });

  it('refuses to stop a revision that still has main traffic, and stops it once traffic moved away', async () => {
    const f = await fixture();
    const agent = await spawnAgent(f, 'local');
    const t = target('local', agent.url, f.token);
    await t.startRevision(spec('dev', 1));
    await readyRevision(t, 'dev', 1);
    await t.setWeights('dev', 'api', 'main', { '1': 100 });
    await servedBy(f.port, 1);
    const first = await recordedGroup(f.dataDir, 1);

    const refused = await rejection(t.stopRevision('dev', 'api', 1));
    expect(refused.code).toBe('CONFLICT');
    const raw = await api(agent.url, f.token, 'DELETE', '/v1/environments/dev/services/api/revisions/1');
    expect(raw.status).toBe(409);
    expect(raw.json.code).toBe('CONFLICT');
    expect(await groupAlive(first)).toBe(true);

    await t.startRevision(spec('dev', 2));
    await readyRevision(t, 'dev', 2);
    await t.setWeights('dev', 'api', 'main', { '2': 100 });
    await t.stopRevision('dev', 'api', 1);
    expect((await service(t, 'dev')).revisions.map((r) => r.revision)).toEqual([2]);
    await until(`revision 1 (process group ${first}) to exit`, async () => !(await groupAlive(first)), 5_000);
    expect([...(await recordedGroups(f.dataDir)).keys()]).toEqual([2]);
    expect((await servedBy(f.port, 2)).revision).toBe('2');
  });

  it('restores its routing after a kill -9 and adopts the revision process that kept running', async () => {
    const f = await fixture();
    const before = await spawnAgent(f, 'local');
    const t1 = target('local', before.url, f.token);
    await t1.startRevision(spec('dev', 1));
    await readyRevision(t1, 'dev', 1);
    await t1.setWeights('dev', 'api', 'main', { '1': 100 });
    const served = await servedBy(f.port, 1);
    const orphan = await recordedGroup(f.dataDir, 1);
    if (process.platform === 'linux') expect(await groupOf(served.pid)).toBe(orphan);

    before.child.kill('SIGKILL');
    await before.exited;
    // The revision outlived its agent (its own process group); nothing routes to it now.
    expect(await groupAlive(orphan)).toBe(true);
    await until(`port ${f.port} to be released`, () => isFree(f.port), 5_000);

    const after = await spawnAgent(f, 'local');
    const t2 = target('local', after.url, f.token);
    const body = await servedBy(f.port, 1);
    expect(body.release).toBe('rel1abc');
    // Adopted (issue 17, item 2): the same process, not a restart of it.
    expect(body.pid).toBe(served.pid);
    // Routes come back at once; `ready` follows with the first health probe of the adopted process.
    await readyRevision(t2, 'dev', 1);
    const status = await service(t2, 'dev');
    expect(status.weights.main).toEqual({ '1': 100 });
    expect(status.revisions).toMatchObject([{ revision: 1, phase: 'ready', restarts: 0 }]);
    expect(await recordedGroup(f.dataDir, 1)).toBe(orphan);
    if (process.platform === 'linux') {
      expect(await serviceProcessesIn(join(f.dataDir, 'revisions', 'dev', 'api', 'r1'))).toEqual([served.pid]);
      expect(await groupOf(body.pid)).toBe(orphan);
    }
  });

  it('serves the routes the control plane tells it, not the ones gantry.yaml gives its target, and keeps them across a kill -9', async () => {
    const f = await fixture();
    // gantry.yaml gives prod-agent only production; the control plane (LocalTarget with a route layout) tells it dev/api too.
    const before = await spawnAgent(f, 'prod-agent');
    expect((await rejection(target('prod-agent', before.url, f.token).describe('dev'))).code).toBe('ENVIRONMENT_NOT_SERVED');
    const told = new LocalTarget('prod-agent', () => Promise.resolve(before.url), f.token, () => undefined, 0, [{ environment: 'dev', service: 'api', port: f.port, maxConnections: 50 }]);
    await told.startRevision(spec('dev', 1));
    await readyRevision(told, 'dev', 1);
    await told.setWeights('dev', 'api', 'main', { '1': 100 });
    expect((await servedBy(f.port, 1)).environment).toBe('dev');
    const state = JSON.parse(await readFile(join(f.dataDir, 'state.json'), 'utf8')) as { services: Array<{ environment: string; route?: object }> };
    expect(state.services.find((s) => s.environment === 'dev')?.route).toEqual({ environment: 'dev', service: 'api', port: f.port, maxConnections: 50 });

    // A route on another port for a service it serves is refused, and changes nothing.
    const moved = new LocalTarget('prod-agent', () => Promise.resolve(before.url), f.token, () => undefined, 0, [{ environment: 'dev', service: 'api', port: f.port + 1 }]);
    expect((await rejection(moved.describe('dev'))).message).toContain(`refused its routes`);
    expect((await servedBy(f.port, 1)).environment).toBe('dev');

    before.child.kill('SIGKILL');
    await before.exited;
    await until(`port ${f.port} to be released`, () => isFree(f.port), 5_000);
    // Started again as gantry.yaml would have it (no dev): the route comes back from its state file, before anyone tells it.
    const after = await spawnAgent(f, 'prod-agent');
    expect((await servedBy(f.port, 1)).environment).toBe('dev');
    expect((await service(target('prod-agent', after.url, f.token), 'dev')).weights.main).toEqual({ '1': 100 });
  });

  it('never answers 503 NO_BACKEND when it comes back from a kill -9 under load: routes are restored before it listens', async () => {
    const f = await fixture();
    const before = await spawnAgent(f, 'local');
    const t = target('local', before.url, f.token);
    await t.startRevision(spec('dev', 1));
    await readyRevision(t, 'dev', 1);
    await t.setWeights('dev', 'api', 'main', { '1': 100 });
    const load = new SteadyLoad([`http://127.0.0.1:${f.port}/`], 20);
    load.start();
    await load.flowing();
    before.child.kill('SIGKILL');
    await before.exited;
    const refusedWhileDown = load.failed;
    await spawnAgent(f, 'local');
    await load.flowing(200);
    const result = await load.stop();
    // Refused while no agent ran (the control plane restarts it); once it listens, every answer is the service's.
    expect(result.failed).toBeGreaterThanOrEqual(refusedWhileDown);
    expect(load.serverErrors).toEqual([]);
  });

  it('keeps every request through the router succeeding while traffic switches between two revisions ten times', async () => {
    const f = await fixture();
    const agent = await spawnAgent(f, 'local');
    const t = target('local', agent.url, f.token);
    await t.startRevision(spec('dev', 1));
    await t.startRevision(spec('dev', 2));
    await readyRevision(t, 'dev', 1);
    await readyRevision(t, 'dev', 2);
    await t.setWeights('dev', 'api', 'main', { '1': 100 });
    await servedBy(f.port, 1);

    const TOTAL = 400;
    const SWITCHES = 10;
    let issued = 0;
    let done = 0;
    const failures: string[] = [];
    const seen = new Map<string, number>();
    const worker = async (): Promise<void> => {
      while (issued < TOTAL) {
        issued++;
        try {
          const res = await fetch(`http://127.0.0.1:${f.port}/`);
          const body = (await res.json()) as Body;
          if (res.status !== 200) failures.push(`HTTP ${res.status}: ${JSON.stringify(body)}`);
          else seen.set(body.revision, (seen.get(body.revision) ?? 0) + 1);
        } catch (error: unknown) {
          failures.push(String(error));
        }
        done++;
      }
    };
    const switched: string[] = [];
    /** How many requests had finished at each switch: every switch must land while traffic flows. */
    const switchedAt: number[] = [];
    const switcher = async (): Promise<void> => {
      for (let i = 0; i < SWITCHES; i++) {
        const after = Math.floor(((i + 1) * TOTAL) / (SWITCHES + 2));
        await until(`${after} requests`, () => done >= after, 20_000, 2);
        const to = i % 2 === 0 ? '2' : '1';
        await t.setWeights('dev', 'api', 'main', { [to]: 100 });
        switched.push(to);
        switchedAt.push(done);
      }
    };
    await Promise.all([...Array.from({ length: 8 }, () => worker()), switcher()]);

    expect(failures).toEqual([]);
    expect(done).toBe(TOTAL);
    expect(switched).toHaveLength(SWITCHES);
    expect(Math.max(...switchedAt)).toBeLessThan(TOTAL);
    expect([...seen.keys()].sort()).toEqual(['1', '2']);
    expect((await service(t, 'dev')).weights.main).toEqual({ '1': 100 });
    const counted = await t.traffic('dev', 'api');
    expect(counted.reduce((n, r) => n + r.errors, 0)).toBe(0);
    expect(counted.reduce((n, r) => n + r.status['5xx'], 0)).toBe(0);
  });

  it('answers bad control input with JSON errors naming the field, changes nothing, and keeps running', async () => {
    const f = await fixture();
    const agent = await spawnAgent(f, 'local');
    const t = target('local', agent.url, f.token);
    const revisionPath = '/v1/environments/dev/services/api/revisions/1';

    const badName = await api(agent.url, f.token, 'GET', '/v1/environments/Dev_Env');
    expect(badName.status).toBe(400);
    expect(badName.json.code).toBe('BAD_REQUEST');
    expect(badName.json.message).toContain('"env"');

    const extraKey = await api(agent.url, f.token, 'PUT', revisionPath, JSON.stringify({ ...spec('dev', 1), surprise: true }));
    expect(extraKey.status).toBe(400);
    expect(extraKey.json.code).toBe('BAD_REQUEST');
    expect(extraKey.json.message).toContain('surprise');

    const badReplicas = await api(agent.url, f.token, 'PUT', revisionPath, JSON.stringify({ ...spec('dev', 1), replicas: 0 }));
    expect(badReplicas.status).toBe(400);
    expect(badReplicas.json.message).toContain('"replicas"');

    const straySecretKey = await api(agent.url, f.token, 'PUT', revisionPath, JSON.stringify(spec('dev', 1, { secretKeys: ['NOT_IN_ENV'] })));
    expect(straySecretKey.status).toBe(400);
    expect(straySecretKey.json.message).toBe('body field "secretKeys": NOT_IN_ENV is not a key of env');

    const otherRevision = await api(agent.url, f.token, 'PUT', revisionPath, JSON.stringify(spec('dev', 2)));
    expect(otherRevision.status).toBe(400);
    expect(otherRevision.json.code).toBe('BAD_REQUEST');

    const unknownRevision = await api(agent.url, f.token, 'PUT', '/v1/environments/dev/services/api/routes/main', JSON.stringify({ weights: { '7': 100 } }));
    expect(unknownRevision.status).toBe(404);
    expect(unknownRevision.json.code).toBe('NOT_FOUND');
    expect(unknownRevision.json.message).toContain('revision 7');

    const badWeight = await api(agent.url, f.token, 'PUT', '/v1/environments/dev/services/api/routes/main', JSON.stringify({ weights: { '1': 150 } }));
    expect(badWeight.status).toBe(400);
    expect(badWeight.json.message).toContain('"weights.1"');

    const badRoute = await api(agent.url, f.token, 'PUT', '/v1/environments/dev/services/api/routes/sideways', JSON.stringify({ weights: {} }));
    expect(badRoute.status).toBe(400);
    expect(badRoute.json.message).toContain('"route"');

    const notJson = await api(agent.url, f.token, 'PUT', revisionPath, '{"environment": ');
    expect(notJson.status).toBe(400);
    expect(notJson.json.code).toBe('BAD_REQUEST');

    const unknownError = await rejection(t.setWeights('dev', 'api', 'main', { '7': 100 }));
    expect(unknownError.code).toBe('NOT_FOUND');

    expect(alive(agent.child)).toBe(true);
    expect((await fetch(`${agent.url}/v1/health`, { headers: { authorization: `Bearer ${f.token}` } })).status).toBe(200);
    const status = await service(t, 'dev');
    expect(status.revisions).toEqual([]);
    expect(status.weights).toEqual({ main: {}, preview: {} });
    expect(await processesIn(f.dataDir)).toEqual([]);
    expect(existsSync(join(f.dataDir, 'state.json'))).toBe(false);
    expect(agent.output()).not.toContain('"level":50');
  });
});

/** Issue 10, item 11: what a revision starts outside its process group and session still stops with it. */
describe('gantry agent and the descendants of a revision', () => {
  /** Starts revision `revision` of dev/api with an escaping grandchild; resolves with the grandchild's pid and port once it listens. */
  async function withGrandchild(f: Fixture, t: LocalTarget, revision: number): Promise<{ pid: number; port: number }> {
    let port = 0;
    do port = 40_000 + Math.floor(Math.random() * 5_000);
    while (!(await isFree(port)));
    const pidFile = join(f.root, `grandchild-${revision}.pid`);
    await t.startRevision(spec('dev', revision, { env: { GRANDCHILD_PORT: String(port), GRANDCHILD_PID_FILE: pidFile } }));
    await readyRevision(t, 'dev', revision);
    const pid = Number(await until('the grandchild to listen', async () => (await readFile(pidFile, 'utf8').catch(() => '')) || undefined, 10_000));
    expect(await isFree(port)).toBe(false);
    // It really escaped: neither in the revision's process group nor its session.
    const group = await recordedGroup(f.dataDir, revision);
    expect(await groupOf(pid)).not.toBe(group);
    return { pid, port };
  }

  /** Gone, or a zombie nobody reaped yet (it holds no port): /proc tells them apart. */
  const gone = async (pid: number): Promise<boolean> => {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state === '' || state === 'Z' || state === 'X';
  };

  it('stops a grandchild that left in its own session (setsid) when its revision stops, and frees its port', async () => {
    const f = await fixture();
    const agent = await spawnAgent(f, 'local');
    const t = target('local', agent.url, f.token);
    const grandchild = await withGrandchild(f, t, 1);
    await t.stopRevision('dev', 'api', 1);
    await until(`the grandchild (pid ${grandchild.pid}) to be gone`, () => gone(grandchild.pid), 10_000);
    expect(await isFree(grandchild.port)).toBe(true);
    expect(agent.output()).not.toContain('"level":50');
  });

  it('stops every descendant at agent shutdown and exits, also without cgroups (the environment marker)', async () => {
    const f = await fixture();
    const agent = await spawnAgent(f, 'local', { GANTRY_CONTAINMENT: 'marker' });
    const t = target('local', agent.url, f.token);
    const grandchild = await withGrandchild(f, t, 1);
    agent.child.kill('SIGTERM');
    // The grandchild holds the revision's output pipes: an agent that left it running would not exit.
    await until('the agent to exit', () => !alive(agent.child), 20_000);
    expect(await gone(grandchild.pid)).toBe(true);
    expect(await isFree(grandchild.port)).toBe(true);
  });

  it('kills the grandchild a revision left when it died while no agent ran, before it starts the revision again', async () => {
    const f = await fixture();
    const before = await spawnAgent(f, 'local');
    const grandchild = await withGrandchild(f, target('local', before.url, f.token), 1);
    const { workerPid } = JSON.parse(await readFile(join(f.dataDir, 'agent.json'), 'utf8')) as { workerPid?: number };
    before.child.kill('SIGKILL');
    await before.exited;
    if (workerPid !== undefined) await until(`the agent worker ${workerPid} to leave`, () => gone(workerPid), 10_000);
    // The revision itself dies while no agent runs; its grandchild, outside its group, lives on.
    const group = await recordedGroup(f.dataDir, 1);
    process.kill(-group, 'SIGKILL');
    await until(`process group ${group} to be gone`, async () => !(await groupAlive(group)), 5_000);
    expect(await gone(grandchild.pid)).toBe(false);

    const after = await spawnAgent(f, 'local');
    await readyRevision(target('local', after.url, f.token), 'dev', 1);
    expect(await gone(grandchild.pid)).toBe(true);
    // The restarted revision made a new grandchild on the same port: the old one had let it go.
    const again = Number(await until('the new grandchild to listen', async () => {
      const pid = Number(await readFile(join(f.root, 'grandchild-1.pid'), 'utf8').catch(() => '0'));
      return pid !== grandchild.pid && pid > 0 ? pid : undefined;
    }, 10_000));
    expect(await gone(again)).toBe(false);
  });
});

/** Issue 10, item 10: readiness takes a failing replica out of the router's rotation, liveness restarts it. */
describe('gantry agent and unhealthy replicas', () => {
  /** The pids of the replicas that answered `count` requests in a row through the environment's port. */
  async function servingPids(port: number, count: number): Promise<Set<number>> {
    const pids = new Set<number>();
    for (let i = 0; i < count; i++) {
      const res = await fetch(`http://127.0.0.1:${port}/`);
      expect(res.status).toBe(200);
      pids.add(((await res.json()) as Body).pid);
    }
    return pids;
  }

  async function pidOn(port: number): Promise<number> {
    return ((await (await fetch(`http://127.0.0.1:${port}/`)).json()) as Body).pid;
  }

  /** Two replicas behind the route, both seen serving; resolves with their ports and pids. */
  async function twoReplicas(f: Fixture, t: LocalTarget, health: RevisionSpec['health']): Promise<{ sickPort: number; sickPid: number; wellPid: number }> {
    await t.startRevision(spec('dev', 1, { replicas: 2, health }));
    await until('both replicas ready', async () => (await service(t, 'dev')).revisions.find((r) => r.revision === 1 && r.readyReplicas === 2), 15_000);
    await t.setWeights('dev', 'api', 'main', { '1': 100 });
    const ports = (await service(t, 'dev')).revisions[0]?.ports ?? [];
    const [sickPort = 0, wellPort = 0] = ports;
    const [sickPid, wellPid] = [await pidOn(sickPort), await pidOn(wellPort)];
    expect(await until('both replicas to serve users', async () => ((await servingPids(f.port, 10)).size === 2 ? true : undefined), 10_000)).toBe(true);
    return { sickPort, sickPid, wellPid };
  }

  it('takes a replica failing readiness out of rotation within its threshold, restarts it after the liveness count, and takes it back', async () => {
    const f = await fixture();
    const agent = await spawnAgent(f, 'local');
    const t = target('local', agent.url, f.token);
    const health = { path: '/healthz', expectStatus: 200, intervalMs: 100, timeoutMs: 1_000, readiness: { failureThreshold: 2, successThreshold: 1 }, liveness: { path: '/healthz', failureThreshold: 15 } };
    const { sickPort, sickPid, wellPid } = await twoReplicas(f, t, health);

    await fetch(`http://127.0.0.1:${sickPort}/set-health/503`);
    // Out of rotation: every request reaches the healthy replica, well before liveness gives up.
    await until('only the healthy replica to serve', async () => {
      const pids = await servingPids(f.port, 10);
      return pids.size === 1 && pids.has(wellPid) ? true : undefined;
    }, 5_000, 20);
    const out = (await service(t, 'dev')).revisions[0];
    expect(out).toMatchObject({ readyReplicas: 1, outOfRotation: 1, restarts: 0 });
    // Before liveness acted (15 failed probes): the sick replica is still the process it was, not restarted.
    expect(await pidOn(sickPort)).toBe(sickPid);

    // Liveness: restarted (a new process on the same port, healthy again), counted, and back in rotation.
    const back = await until('the sick replica to be restarted and ready', async () => {
      const r = (await service(t, 'dev')).revisions[0];
      return r && r.restarts === 1 && r.readyReplicas === 2 ? r : undefined;
    }, 20_000);
    expect(back.lastError).toMatch(/^liveness: 15 probes failed in a row: GET http:\/\/127\.0\.0\.1:\d+\/healthz → 503/);
    const restartedPid = await pidOn(sickPort);
    expect(restartedPid).not.toBe(sickPid);
    await until('the restarted replica to serve users again', async () => ((await servingPids(f.port, 10)).has(restartedPid) ? true : undefined), 10_000);
    const log = (await t.logs('dev', 'api', 1, 200)).join('\n');
    expect(log).toContain('out of rotation: 2 health probes failed in a row');
    expect(log).toContain('liveness: 15 probes failed in a row');
  });

  it('puts a replica back in rotation once readiness passes again, without a restart when liveness is off', async () => {
    const f = await fixture();
    const agent = await spawnAgent(f, 'local');
    const t = target('local', agent.url, f.token);
    const health = { path: '/healthz', expectStatus: 200, intervalMs: 100, timeoutMs: 1_000, readiness: { failureThreshold: 2, successThreshold: 3 }, liveness: { path: '/healthz', failureThreshold: 0 } };
    const { sickPort, sickPid, wellPid } = await twoReplicas(f, t, health);

    await fetch(`http://127.0.0.1:${sickPort}/set-health/500`);
    await until('only the healthy replica to serve', async () => {
      const pids = await servingPids(f.port, 10);
      return pids.size === 1 && pids.has(wellPid) ? true : undefined;
    }, 5_000, 20);
    await fetch(`http://127.0.0.1:${sickPort}/set-health/200`);
    await until('the recovered replica to serve users again', async () => ((await servingPids(f.port, 10)).has(sickPid) ? true : undefined), 10_000);
    expect((await service(t, 'dev')).revisions[0]).toMatchObject({ readyReplicas: 2, outOfRotation: 1, restarts: 0 });
  });

  it('keeps every replica in rotation when none is ready, rather than answer 503', async () => {
    const f = await fixture();
    const agent = await spawnAgent(f, 'local');
    const t = target('local', agent.url, f.token);
    const health = { path: '/healthz', expectStatus: 200, intervalMs: 100, timeoutMs: 1_000, readiness: { failureThreshold: 1, successThreshold: 1 } };
    await t.startRevision(spec('dev', 1, { health }));
    await readyRevision(t, 'dev', 1);
    await t.setWeights('dev', 'api', 'main', { '1': 100 });
    const [port = 0] = (await service(t, 'dev')).revisions[0]?.ports ?? [];
    await fetch(`http://127.0.0.1:${port}/set-health/500`);
    await until('the only replica to be out of rotation', async () => ((await service(t, 'dev')).revisions[0]?.outOfRotation === 1 ? true : undefined), 5_000);
    expect((await fetch(`http://127.0.0.1:${f.port}/`)).status).toBe(200);
  });
});
