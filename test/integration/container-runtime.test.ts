import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile, rm, stat, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopLeftoverRevisions } from '../../src/agent/leftover-revisions.js';
import { isGantryError } from '../../src/errors/index.js';
import { cliEntry } from '../../src/targets/local/agent-launcher.js';
import { stopAgentProcesses } from '../../src/targets/local/stop-agents.js';
import type { RevisionSpec, RevisionStatus } from '../../src/targets/target.js';
import { freePorts, spawnAgent, type AgentProcess } from '../support/agent-process.js';
import { dockerAvailable, startDockerd, type TestDockerd } from '../support/dockerd.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { pushServiceImage, type PushedImage } from '../support/service-image.js';
import { registerSecret, secretValue } from '../support/sweep.js';
import { TempDirs, until } from '../support/temp.js';

/**
 * `gantry agent --runtime docker` as a user starts it (run the server build first), against a real
 * private dockerd and a real docker-registry with basic auth, driven over the agent's HTTP API
 * through LocalTarget. The engine here has no bridge network: every container uses host networking
 * (the bridge mode's port binding is not exercised on this machine).
 */
const SERVICE_JS = `import { createServer } from 'node:http';
import { createHash } from 'node:crypto';
const env = process.env;
if (env.SAY_SECRET) console.log('hello ' + env[env.SAY_SECRET]);
if (env.EXIT_CODE) { console.error('boom: giving up with ' + env.EXIT_CODE); process.exit(Number(env.EXIT_CODE)); }
if (env.HOG) { const keep = []; for (;;) keep.push(Buffer.alloc(8 * 1024 * 1024, 1)); }
const born = Date.now();
const server = createServer((req, res) => {
  if (req.url === '/healthz') { res.writeHead(env.FAIL_AFTER_MS && Date.now() - born > Number(env.FAIL_AFTER_MS) ? 500 : 200); res.end(); return; }
  if (req.url === '/secret-hash') { res.end(createHash('sha256').update(env.API_TOKEN ?? '').digest('hex')); return; }
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ revision: env.GANTRY_REVISION, public: env.PUBLIC ?? null }));
});
server.listen(Number(env.PORT), () => console.log('listening on ' + env.PORT));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

const SERVICES = ['web', 'vault', 'chatty', 'broken', 'quitter', 'hog', 'flaky', 'refused', 'kept', 'never'];
const ENV = 'prod';
const MiB = 1024 * 1024;

function agentConfig(base: number): string {
  const services = SERVICES.map((name, i) => `  ${name}:\n    path: svc\n    run:\n      command: node server.mjs\n      port: ${base + i}\n    health:\n      path: /healthz\n`).join('');
  return `version: 1\nproject:\n  name: containers\nrepository:\n  url: .\nservices:\n${services}environments:\n  ${ENV}:\n    branch: main\n`;
}

const temp = new TempDirs();
let dockerd: TestDockerd | undefined;
let registry: TestRegistry | undefined;
let agent: AgentProcess | undefined;
let good: PushedImage;
let missingBlob: PushedImage;
let base = 0;
const USER = 'gantry';
const PASSWORD = registerSecret(`pull-${createHash('sha256').update(String(Math.random())).digest('hex').slice(0, 20)}`);
const pullAuth = { username: USER, password: PASSWORD };

/** Tmpfs mounts an agent made under a test folder, in case one died before it unmounted them. */
function unmountUnder(prefix: string): void {
  const mounts = existsSync('/proc/mounts') ? execFileSync('cat', ['/proc/mounts'], { encoding: 'utf8' }) : '';
  for (const point of mounts.split('\n').map((l) => l.split(' ')[1] ?? '').filter((p) => p.startsWith(prefix))) {
    try {
      execFileSync('umount', ['-l', point]);
    } catch {
      // Gone meanwhile.
    }
  }
}


function spec(service: string, revision: number, overrides: Partial<RevisionSpec> = {}): RevisionSpec {
  return {
    environment: ENV,
    service,
    revision,
    release: `rel${revision}`,
    artifact: { digest: good.digest, ref: good.ref },
    command: 'node server.mjs',
    env: {},
    secretKeys: [],
    replicas: 1,
    health: { path: '/healthz', expectStatus: 200, intervalMs: 100, timeoutMs: 1_000 },
    pullAuth,
    ...overrides,
  };
}

const target = (): AgentProcess => {
  if (!agent) throw new Error('no agent');
  return agent;
};
const engine = (): TestDockerd => {
  if (!dockerd) throw new Error('no dockerd');
  return dockerd;
};

async function revision(service: string, rev: number, on = target()): Promise<RevisionStatus | undefined> {
  return (await on.target.describe(ENV)).find((s) => s.service === service)?.revisions.find((r) => r.revision === rev);
}

const inPhase = (service: string, rev: number, phase: string, on = target()): Promise<RevisionStatus> =>
  until(`r${rev} of ${service} to be ${phase}`, async () => {
    const r = await revision(service, rev, on);
    return r?.phase === phase ? r : undefined;
  }, 60_000, 100);

const routePort = (service: string): number => base + SERVICES.indexOf(service);

async function viaRouter(service: string, path = '/'): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${routePort(service)}${path}`, { signal: AbortSignal.timeout(5_000) });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return res.text();
}

async function refusal(work: Promise<unknown>): Promise<{ code: string; message: string }> {
  const error = await work.then(() => undefined, (e: unknown) => e);
  if (!isGantryError(error)) throw new Error(`expected a GantryError, got ${String(error)}`);
  return error;
}

/** Every regular file under `dir` (but not under `skip`) that holds one of `needles` (as is, or base64). */
async function filesHolding(dir: string, needles: readonly string[], skip?: string): Promise<string[]> {
  const forms = needles.flatMap((n) => [Buffer.from(n), Buffer.from(Buffer.from(n).toString('base64'))]);
  const found: string[] = [];
  const walk = async (at: string): Promise<void> => {
    for (const entry of await readdir(at, { withFileTypes: true }).catch(() => [])) {
      const path = join(at, entry.name);
      if (entry.isDirectory() && path !== skip) await walk(path);
      else if (entry.isFile()) {
        const content = await readFile(path).catch(() => Buffer.alloc(0));
        if (forms.some((f) => content.includes(f))) found.push(path);
      }
    }
  };
  await walk(dir);
  return found;
}

// The docker suite cleans up after itself; this covers the command-line tests where no engine can run.
afterAll(() => temp.cleanup());

describe('gantry agent --runtime and --docker-host on the command line', () => {
  const run = (args: readonly string[]): { status: number | null; stderr: string } => {
    const out = spawnSync(process.execPath, [cliEntry(), 'agent', '--target', 'local', '--port', '0', ...args], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, GANTRY_AGENT_TOKEN: '' } });
    return { status: out.status, stderr: `${out.stdout}${out.stderr}` };
  };

  it('refuses a runtime it does not know, and --docker-host without --runtime docker, before it starts anything', () => {
    const unknown = run(['--runtime', 'podman']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('It must be process or docker.');
    const alone = run(['--docker-host', 'unix:///nowhere.sock']);
    expect(alone.status).toBe(2);
    expect(alone.stderr).toContain('--docker-host goes with --runtime docker');
  });

  it('does not start when its Docker engine does not answer, and names the address', async () => {
    const nowhere = `unix://${join(await temp.make('gantry-no-engine-'), 'docker.sock')}`;
    const failed = await spawnAgent(temp, agentConfig(await freePorts(24_900, 90, SERVICES.length)), { docker: { dockerHost: nowhere } }).then(
      () => 'started',
      (error: unknown) => String(error),
    );
    expect(failed).toContain('the agent exited with 1');
    expect(failed).toContain(`the Docker engine at ${nowhere} does not answer`);
  });
});

describe.skipIf(!dockerAvailable())('gantry agent --runtime docker', () => {
  beforeAll(async () => {
    dockerd = await startDockerd(temp);
    registry = await startRegistry({ users: { [USER]: PASSWORD } });
    const host = new URL(registry.url).host;
    good = await pushServiceImage(dockerd, host, 'team/svc', { 'server.mjs': SERVICE_JS }, pullAuth);
    // A second image whose own layer is then deleted from the registry's storage: its manifest is there, its pull fails.
    missingBlob = await pushServiceImage(dockerd, host, 'team/broken', { 'server.mjs': `${SERVICE_JS}// broken\n` }, pullAuth);
    const manifest = (await (await fetch(`${registry.url}/v2/team/broken/manifests/${missingBlob.digest}`, {
      headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json', authorization: `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}` },
    })).json()) as { layers: Array<{ digest: string }> };
    const own = manifest.layers.at(-1)?.digest.slice('sha256:'.length) ?? '';
    await rm(join(registry.storage, 'docker/registry/v2/blobs/sha256', own.slice(0, 2), own), { recursive: true });
    base = await freePorts(24_000, 900, SERVICES.length);
    agent = await spawnAgent(temp, agentConfig(base), { docker: { dockerHost: dockerd.dockerHost } });
  }, 240_000);

  afterAll(async () => {
    await agent?.stop();
    unmountUnder('/tmp/gantry-agent-');
    await dockerd?.stop();
    await registry?.stop();
    await temp.cleanup();
  }, 120_000);

  it('runs a revision as containers pulled by digest, routes weights to them, and removes them on stop', async () => {
    const docker = engine().docker;
    await target().target.startRevision(spec('web', 1, { limits: { cpus: 0.5, memoryBytes: 256 * MiB } }));
    const r1 = await inPhase('web', 1, 'ready');
    expect(r1).toMatchObject({ digest: good.digest, readyReplicas: 1, lastError: null });
    const health = (await (await fetch(`${target().url}/v1/health`, { headers: { authorization: `Bearer ${target().token}` } })).json()) as { runtime?: string };
    expect(health.runtime).toBe('docker');
    const info = await docker.getContainer(`gantry-${ENV}-web-r1`).inspect();
    expect(info.Config.Labels).toMatchObject({ 'gantry.environment': ENV, 'gantry.service': 'web', 'gantry.revision': '1', 'gantry.release': 'rel1', 'gantry.replica': '0' });
    expect(info.Config.Labels['gantry.agent']).toMatch(/^[0-9a-f]{12}$/);
    expect(info.Config.Image).toBe(good.ref);
    expect(info.Config.Env).toEqual(expect.arrayContaining([`PORT=${r1.ports[0]}`, `GANTRY_SERVICE=web`, 'GANTRY_REVISION=1']));
    // Nothing of the agent's own environment: PATH is the image's.
    expect(info.Config.Env?.filter((e) => e.startsWith('PATH='))).toEqual(['PATH=/usr/local/bin:/usr/bin:/bin']);
    expect(info.HostConfig).toMatchObject({ NetworkMode: 'host', NanoCpus: 500_000_000, Memory: 256 * MiB, MemorySwap: 256 * MiB, RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 5 } });

    await target().target.setWeights(ENV, 'web', 'main', { '1': 100 });
    expect(JSON.parse(await viaRouter('web'))).toMatchObject({ revision: '1' });

    await target().target.startRevision(spec('web', 2, { replicas: 2 }));
    const r2 = await inPhase('web', 2, 'ready');
    expect(r2.ports).toHaveLength(2);
    await until('both replicas of r2 to be ready', async () => (await revision('web', 2))?.readyReplicas === 2, 30_000);
    const names = (await docker.listContainers({ filters: { label: ['gantry.service=web', 'gantry.revision=2'] } })).map((c) => c.Names[0]).sort();
    expect(names).toEqual([`/gantry-${ENV}-web-r2`, `/gantry-${ENV}-web-r2-1`]);
    await target().target.setWeights(ENV, 'web', 'main', { '1': 50, '2': 50 });
    const seen = new Set<string>();
    await until('both revisions to answer through the split route', async () => {
      seen.add((JSON.parse(await viaRouter('web')) as { revision: string }).revision);
      return seen.size === 2;
    }, 20_000, 5);
    await target().target.setWeights(ENV, 'web', 'main', { '2': 100 });
    await target().target.stopRevision(ENV, 'web', 1);
    expect(await docker.getContainer(`gantry-${ENV}-web-r1`).inspect().then(() => 'still there', (e: { statusCode?: number }) => e.statusCode)).toBe(404);
    expect(JSON.parse(await viaRouter('web'))).toMatchObject({ revision: '2' });
    expect(await target().target.logs(ENV, 'web', 2, 50)).toEqual(expect.arrayContaining([`listening on ${r2.ports[0]}`, `listening on ${r2.ports[1]}`]));
  }, 180_000);

  it('gives a container its secrets as files on a tmpfs: the service sees them, inspect, argv and the engine storage do not', async () => {
    const docker = engine().docker;
    const token = secretValue('api-token');
    await target().target.startRevision(spec('vault', 1, { env: { API_TOKEN: token, PUBLIC: 'visible' }, secretKeys: ['API_TOKEN'] }));
    await inPhase('vault', 1, 'ready');
    await target().target.setWeights(ENV, 'vault', 'main', { '1': 100 });
    expect(await viaRouter('vault', '/secret-hash')).toBe(createHash('sha256').update(token).digest('hex'));
    expect(JSON.parse(await viaRouter('vault'))).toMatchObject({ public: 'visible' });

    const container = docker.getContainer(`gantry-${ENV}-vault-r1`);
    const info = await container.inspect();
    const inspected = JSON.stringify(info);
    expect(inspected).not.toContain(token);
    expect(inspected).not.toContain(PASSWORD);
    expect(info.Config.Env).toContain('PUBLIC=visible');
    expect(info.Config.Env?.some((e) => e.startsWith('API_TOKEN='))).toBe(false);
    const mount = info.Mounts.find((m) => m.Destination === '/run/gantry/secrets');
    expect(mount).toMatchObject({ RW: false });
    const source = mount?.Source ?? '';
    expect((await statfs(source)).type).toBe(0x01021994);
    expect((await stat(join(source, 'API_TOKEN'))).mode & 0o777).toBe(0o400);

    const top = await container.top({ ps_args: '-eo pid' });
    const pids = (top.Processes as string[][]).map((row) => Number(row[0])).filter((pid) => pid > 0);
    expect(pids.length).toBeGreaterThan(0);
    for (const pid of pids) expect((await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).includes(token)).toBe(false);
    expect(await filesHolding(engine().dataRoot, [token, PASSWORD])).toEqual([]);
    expect(await filesHolding(registry?.storage ?? '', [token, PASSWORD])).toEqual([]);
    // The agent's data folder holds them only on its tmpfs (checked above), never on its disk (state.json seals them).
    expect(await filesHolding(target().dataDir, [token, PASSWORD], join(target().dataDir, 'secrets'))).toEqual([]);
    expect(JSON.stringify(await target().target.describe(ENV))).not.toContain(PASSWORD);

    await target().target.setWeights(ENV, 'vault', 'main', {});
    await target().target.stopRevision(ENV, 'vault', 1);
    expect(existsSync(source)).toBe(false);
  }, 120_000);

  it('masks the revision secrets in the container output it hands out', async () => {
    const said = `chatty-${createHash('sha256').update(String(Math.random())).digest('hex').slice(0, 16)}`;
    await target().target.startRevision(spec('chatty', 1, { env: { CHATTY_TOKEN: said, SAY_SECRET: 'CHATTY_TOKEN' }, secretKeys: ['CHATTY_TOKEN'] }));
    await inPhase('chatty', 1, 'ready');
    const lines = await target().target.logs(ENV, 'chatty', 1, 20);
    expect(lines).toContain('hello ***');
    expect(lines.join('\n')).not.toContain(said);
  }, 60_000);

  it('refuses an image not pinned by digest, or one the registry does not hold, and starts nothing', async () => {
    const tagged = await refusal(target().target.startRevision(spec('refused', 1, { artifact: { digest: good.digest, ref: `${good.repository}:1` } })));
    expect(tagged.code).toBe('ARTIFACT_REF_INVALID');
    const absent = `sha256:${'1'.repeat(64)}`;
    const missing = await refusal(target().target.startRevision(spec('refused', 2, { artifact: { digest: absent, ref: `${good.repository}@${absent}` } })));
    expect(missing.code).toBe('ARTIFACT_NOT_FOUND');
    expect(missing.message).not.toContain(PASSWORD);
    const wrong = `wrong-${PASSWORD}`;
    // An image the engine does not hold yet (the broken one: its pull never succeeds), so the registry is asked.
    const denied = await refusal(target().target.startRevision(spec('refused', 3, { artifact: { digest: missingBlob.digest, ref: missingBlob.ref }, pullAuth: { username: USER, password: wrong } })));
    expect(denied.code).toBe('TARGET_ERROR');
    expect(denied.message).toContain(missingBlob.ref);
    expect(denied.message).not.toContain(wrong);
    const badKey = await refusal(target().target.startRevision(spec('refused', 4, { env: { 'API-TOKEN': 'x'.repeat(12) }, secretKeys: ['API-TOKEN'] })));
    expect(badKey).toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('API-TOKEN') });
    expect((await target().target.describe(ENV)).find((s) => s.service === 'refused')?.revisions).toEqual([]);
  }, 60_000);

  it('reports a failed pull at once as a crash loop with the reason', async () => {
    await target().target.startRevision(spec('broken', 1, { artifact: { digest: missingBlob.digest, ref: missingBlob.ref } }));
    const r = await inPhase('broken', 1, 'crash-loop');
    expect(r.lastError).toMatch(/^image pull failed: /);
    expect(r.lastError).not.toContain(PASSWORD);
  }, 60_000);

  it('reports a container that exits at once with its exit code and last log lines, then a crash loop', async () => {
    await target().target.startRevision(spec('quitter', 1, { env: { EXIT_CODE: '3' } }));
    const r = await inPhase('quitter', 1, 'crash-loop');
    expect(r.lastError).toMatch(/exited with code 3; last log lines: .*boom: giving up with 3/);
    expect(r.restarts).toBeGreaterThanOrEqual(5);
    expect(r.readyReplicas).toBe(0);
  }, 90_000);

  it('reports an OOM kill with the memory limit', async () => {
    await target().target.startRevision(spec('hog', 1, { env: { HOG: '1' }, limits: { memoryBytes: 64 * MiB } }));
    const r = await until('the OOM kill to be reported', async () => {
      const found = await revision('hog', 1);
      return found?.lastError?.includes('OOMKilled') ? found : undefined;
    }, 60_000, 100);
    expect(r.lastError).toMatch(/^OOMKilled \(memory limit 64 MiB\); exited with code 137/);
    expect(['crashed', 'crash-loop']).toContain(r.phase);
  }, 90_000);

  it('takes a replica whose health stops passing out of rotation with the probe reason', async () => {
    await target().target.startRevision(spec('flaky', 1, { env: { FAIL_AFTER_MS: '3000' } }));
    await inPhase('flaky', 1, 'ready');
    const r = await inPhase('flaky', 1, 'unhealthy');
    expect(r.lastError).toMatch(/health probes failed in a row: GET http:\/\/127\.0\.0\.1:\d+\/healthz → 500 \(expected 200\)/);
    expect(r.readyReplicas).toBe(0);
  }, 60_000);

  it('keeps a replica whose health never passes starting, with the probe reason for the deploy to report', async () => {
    await target().target.startRevision(spec('never', 1, { env: { FAIL_AFTER_MS: '0' } }));
    // The first probes may find nothing listening yet (connection refused); then the service answers 500.
    const r = await until('the probe reason to be reported', async () => {
      const found = await revision('never', 1);
      return found?.lastError?.includes('→ 500') ? found : undefined;
    }, 30_000, 100);
    expect(r).toMatchObject({ phase: 'starting', readyReplicas: 0 });
    expect(r.lastError).toMatch(/^not ready yet: \d+ health probes failed in a row: GET http:\/\/127\.0\.0\.1:\d+\/healthz → 500 \(expected 200\)$/);
  }, 60_000);

  it('adopts its running containers after a restart of the agent, and makes an exited one anew', async () => {
    const docker = engine().docker;
    await target().target.startRevision(spec('kept', 1, { replicas: 2 }));
    await until('both replicas to be ready', async () => (await revision('kept', 1))?.readyReplicas === 2, 60_000);
    await target().target.setWeights(ENV, 'kept', 'main', { '1': 100 });
    const first = await docker.getContainer(`gantry-${ENV}-kept-r1`).inspect();
    const second = await docker.getContainer(`gantry-${ENV}-kept-r1-1`).inspect();

    // The agent dies without stopping anything (SIGKILL to the parent; its worker leaves its revisions running).
    const old = target();
    const record = JSON.parse(await readFile(join(old.dataDir, 'agent.json'), 'utf8')) as { workerPid: number };
    old.child.kill('SIGKILL');
    await until('the old worker to leave', () => !existsSync(`/proc/${record.workerPid}`), 30_000);
    await docker.getContainer(second.Id).stop({ t: 1 });

    agent = await spawnAgent(temp, agentConfig(base), { docker: { dockerHost: engine().dockerHost }, after: old });
    await until('both replicas to be ready again', async () => (await revision('kept', 1))?.readyReplicas === 2, 60_000);
    const adopted = await docker.getContainer(`gantry-${ENV}-kept-r1`).inspect();
    expect(adopted.Id).toBe(first.Id);
    expect(adopted.State.StartedAt).toBe(first.State.StartedAt);
    const remade = await docker.getContainer(`gantry-${ENV}-kept-r1-1`).inspect();
    expect(remade.Id).not.toBe(second.Id);
    expect(remade.State.Running).toBe(true);
    expect(JSON.parse(await viaRouter('kept'))).toMatchObject({ revision: '1' });
  }, 180_000);

  it('keeps its containers serving when its worker restarts, and the new worker adopts them', async () => {
    const docker = engine().docker;
    const before = await docker.getContainer(`gantry-${ENV}-kept-r1`).inspect();
    const record = JSON.parse(await readFile(join(target().dataDir, 'agent.json'), 'utf8')) as { workerPid: number };
    process.kill(record.workerPid, 'SIGTERM');
    await until('another worker to answer', async () => {
      const now = JSON.parse(await readFile(join(target().dataDir, 'agent.json'), 'utf8')) as { workerPid: number };
      return now.workerPid !== record.workerPid && (await revision('kept', 1))?.readyReplicas === 2;
    }, 60_000, 100);
    const after = await docker.getContainer(`gantry-${ENV}-kept-r1`).inspect();
    expect(after.Id).toBe(before.Id);
    expect(after.State.StartedAt).toBe(before.State.StartedAt);
    expect(JSON.parse(await viaRouter('kept'))).toMatchObject({ revision: '1' });
  }, 90_000);

  it('stops the containers of an agent that is gone when Gantry stops its agents', async () => {
    const docker = engine().docker;
    const gone = await spawnAgent(temp, agentConfig(await freePorts(26_000, 900, SERVICES.length)), { docker: { dockerHost: engine().dockerHost } });
    try {
      await gone.target.startRevision(spec('web', 9, { env: { API_TOKEN: secretValue('api-token') }, secretKeys: ['API_TOKEN'] }));
      await inPhase('web', 9, 'ready', gone);
      const record = JSON.parse(await readFile(join(gone.dataDir, 'agent.json'), 'utf8')) as { workerPid: number; runtime: string };
      expect(record.runtime).toBe('docker');
      gone.child.kill('SIGKILL');
      await until('the worker to leave', () => !existsSync(`/proc/${record.workerPid}`), 30_000);
      expect((await docker.getContainer(`gantry-${ENV}-web-r9`).inspect()).State.Running).toBe(true);

      // What `gantry server` closing with its agents, and the demo's clean-up, run.
      await stopAgentProcesses(join(gone.dataDir, '..'), stopLeftoverRevisions);
      expect(await docker.getContainer(`gantry-${ENV}-web-r9`).inspect().then(() => 'still there', (e: { statusCode?: number }) => e.statusCode)).toBe(404);
      expect((await readFile('/proc/mounts', 'utf8')).split('\n').some((line) => line.split(' ')[1] === join(gone.dataDir, 'secrets'))).toBe(false);
    } finally {
      await gone.stop();
    }
  }, 120_000);

  it('stops every container of the agent and unmounts its secrets tmpfs when the agent stops', async () => {
    const docker = engine().docker;
    await target().target.startRevision(spec('vault', 2, { env: { API_TOKEN: secretValue('api-token') }, secretKeys: ['API_TOKEN'] }));
    await inPhase('vault', 2, 'ready');
    const scope = (await docker.getContainer(`gantry-${ENV}-vault-r2`).inspect()).Config.Labels['gantry.agent'] ?? '';
    // A container of this agent it does not know of (left by a crash between create and the state file).
    const stray = await docker.createContainer({ name: 'gantry-stray', Image: 'gantry-test/node-base:1', Cmd: ['node', '-e', 'setInterval(() => {}, 1000)'], Labels: { 'gantry.agent': scope } });
    await stray.start();
    const secrets = join(target().dataDir, 'secrets');
    expect((await statfs(secrets)).type).toBe(0x01021994);

    await target().stop();
    agent = undefined;
    expect(await docker.listContainers({ all: true, filters: { label: [`gantry.agent=${scope}`] } })).toEqual([]);
    expect((await readFile('/proc/mounts', 'utf8')).split('\n').some((line) => line.split(' ')[1] === secrets)).toBe(false);
  }, 120_000);
});
