import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OciLayout, packBundle } from '../../src/artifacts/index.js';
import type { RevisionSpec } from '../../src/targets/target.js';
import { freePorts, revisionOf, revisionSpec, spawnAgent, type AgentProcess, type Artifact } from '../support/agent-process.js';
import { TempDirs, until } from '../support/temp.js';

/**
 * Issue 18, item 2: a hung or crashed replica must not keep its share of traffic. A real
 * `gantry agent` process, one revision with two replicas (real processes), probed every 500 ms
 * (readiness out after 3 failures, liveness restart after 6), under steady load from 20 keep-alive
 * clients. One replica is stopped (SIGSTOP) or killed (SIGKILL) while the load runs.
 */

/**
 * The service answers after 20 ms, as a real one that does some work: requests are in flight on
 * every replica at any moment, so a kill always catches some (an instant answer would leave the
 * kill nothing to cut, and the test nothing to show).
 */
const SERVICE_JS = `import { createServer } from 'node:http';
const server = createServer((req, res) => {
  if (req.url === '/healthz') { res.end('ok'); return; }
  setTimeout(() => res.end('done'), 20);
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

async function slowServiceArtifact(): Promise<Artifact> {
  const root = await temp.make('gantry-hung-artifact-');
  await mkdir(join(root, 'service'));
  await writeFile(join(root, 'service', 'server.mjs'), SERVICE_JS);
  const store = new OciLayout(join(root, 'layout'));
  await store.init();
  const stored = await store.put('api', await packBundle(join(root, 'service')));
  return { layout: join(root, 'layout'), digest: stored.manifestDigest };
}

const CLIENTS = 20;
const temp = new TempDirs();
let artifact: Artifact;
const agents: AgentProcess[] = [];
/** Process groups the test stopped: continued before anything kills them. */
const stopped: number[] = [];

beforeAll(async () => {
  artifact = await slowServiceArtifact();
});
afterEach(async () => {
  for (const group of stopped.splice(0)) signal(-group, 'SIGCONT');
  await Promise.all(agents.splice(0).map((a) => a.stop()));
});
afterAll(() => temp.cleanup());

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone (a liveness restart replaced it).
  }
}

function config(port: number): string {
  return `version: 1
project:
  name: hung-replica-test
repository:
  url: .
services:
  api:
    path: api
    run:
      command: node server.mjs
      port: ${port}
environments:
  production:
    branch: main
`;
}

function twoReplicas(): RevisionSpec {
  return {
    ...revisionSpec(artifact, 'production', 'api', 1),
    replicas: 2,
    health: { path: '/healthz', expectStatus: 200, intervalMs: 500, timeoutMs: 500, readiness: { failureThreshold: 3, successThreshold: 1 }, liveness: { path: '/healthz', failureThreshold: 6 } },
  };
}

/** The process group of each replica of revision 1, as the agent recorded them in state.json. */
async function replicaGroups(dataDir: string): Promise<number[]> {
  const state = JSON.parse(await readFile(join(dataDir, 'state.json'), 'utf8')) as { services: { revisions: { spec: { revision: number }; pids: number[] }[] }[] };
  return state.services.flatMap((s) => s.revisions).find((r) => r.spec.revision === 1)?.pids ?? [];
}

/** The `node server.mjs` process of a process group (the group leader may be its `sh -c`). */
async function serverProcessOf(group: number): Promise<number> {
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => '');
    if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]) !== group) continue;
    if ((await readFile(`/proc/${name}/cmdline`, 'utf8').catch(() => '')).split('\0').includes('server.mjs')) return Number(name);
  }
  throw new Error(`no node server.mjs in process group ${group}`);
}

interface Load {
  readonly ok: number;
  readonly failed: string[];
  /** Answers per backend id (the router's X-Gantry-Backend header). */
  readonly byBackend: Map<string, number>;
  stop(): Promise<void>;
}

/** CLIENTS keep-alive clients sending GETs back to back; each request waits at most 15 s for its answer. */
function steadyLoad(port: number): Load {
  const dispatcher = new Agent({ connections: CLIENTS, headersTimeout: 15_000, bodyTimeout: 15_000 });
  const load = { ok: 0, failed: [] as string[], byBackend: new Map<string, number>() };
  let running = true;
  const clients = Array.from({ length: CLIENTS }, async () => {
    while (running) {
      try {
        const res = await request(`http://127.0.0.1:${port}/`, { dispatcher });
        await res.body.text();
        const backend = String(res.headers['x-gantry-backend'] ?? '');
        load.byBackend.set(backend, (load.byBackend.get(backend) ?? 0) + 1);
        if (res.statusCode === 200) load.ok++;
        else load.failed.push(`HTTP ${res.statusCode} from ${backend}`);
      } catch (error: unknown) {
        load.failed.push(error instanceof Error ? error.message : String(error));
      }
    }
  });
  return Object.assign(load, {
    async stop() {
      running = false;
      await Promise.all(clients);
      await dispatcher.close();
    },
  });
}

/** Starts two replicas, routes all of the service to them and puts them under load until both answer. */
async function servingTwoReplicas(): Promise<{ agent: AgentProcess; port: number; load: Load }> {
  const port = await freePorts(27_000, 590, 1);
  const agent = await spawnAgent(temp, config(port));
  agents.push(agent);
  await agent.target.startRevision(twoReplicas());
  await until('both replicas to be ready', async () => (await revisionOf(agent, 'production', 'api', 1))?.readyReplicas === 2, 20_000);
  await agent.target.setWeights('production', 'api', 'main', { '1': 100 });
  const load = steadyLoad(port);
  await until('both replicas to answer under load', () => (load.byBackend.get('1/0') ?? 0) >= 50 && (load.byBackend.get('1/1') ?? 0) >= 50, 20_000);
  return { agent, port, load };
}

/** When the agent logged that it ejected `backend` (pino's epoch ms), once it has. */
function ejectedAt(agent: AgentProcess, backend: string): number | undefined {
  for (const line of agent.output().split('\n')) {
    if (!line.includes('ejected')) continue;
    const entry = JSON.parse(line) as { time: number; backend?: string; msg: string };
    if (entry.backend === backend && /: ejected/.test(entry.msg)) return entry.time;
  }
  return undefined;
}

/** When the agent logged that process `id` turned `phase` (pino's epoch ms), once it has. */
function phaseAt(agent: AgentProcess, id: string, phase: string): number | undefined {
  for (const line of agent.output().split('\n')) {
    if (!line.includes(`"process":"${id}"`)) continue;
    const entry = JSON.parse(line) as { time: number; phase?: string };
    if (entry.phase === phase) return entry.time;
  }
  return undefined;
}

describe('a replica that stops answering', () => {
  it('is ejected by the router before its probes act on a SIGSTOP, fewer than 1 % of requests fail, and liveness restarts it until it is ready again', async () => {
    const { agent, load } = await servingTwoReplicas();
    const [, group] = await replicaGroups(agent.dataDir);
    if (group === undefined) throw new Error('state.json records no second replica');

    stopped.push(group);
    const stoppedAt = Date.now();
    signal(-group, 'SIGSTOP');

    const ejected = await until('the stopped replica to be ejected', () => ejectedAt(agent, '1/1'), 10_000);
    const unhealthy = await until('readiness to take the stopped replica out', () => phaseAt(agent, 'production/api/1/1', 'unhealthy'), 30_000);
    const restarted = await until('liveness to restart the stopped replica', async () => ((await revisionOf(agent, 'production', 'api', 1))?.restarts ?? 0) >= 1 && Date.now(), 60_000);
    const readyAgain = await until('the restarted replica to be ready again', async () => (await revisionOf(agent, 'production', 'api', 1))?.readyReplicas === 2 && Date.now(), 30_000);
    const servedBefore = load.byBackend.get('1/1') ?? 0;
    await until('the restarted replica to take its share again', () => (load.byBackend.get('1/1') ?? 0) >= servedBefore + 50, 20_000);
    await load.stop();

    const total = load.ok + load.failed.length;
    console.info(`SIGSTOP → ejected ${ejected - stoppedAt} ms, unhealthy ${unhealthy - stoppedAt} ms, restarted ${restarted - stoppedAt} ms, ready ${readyAgain - stoppedAt} ms; ${load.failed.length} of ${total} requests failed`);
    // The router's passive health (a 1 s first-byte deadline) ejected it before readiness (3 failed
    // probes) took it out of rotation, and both before liveness restarted it (agent log times).
    expect(ejected).toBeLessThan(unhealthy);
    expect(unhealthy).toBeLessThanOrEqual(restarted);
    expect(load.failed.length / total).toBeLessThan(0.01);
    expect(await replicaGroups(agent.dataDir)).not.toContain(group);
  }, 120_000);

  it('takes a stopped replica out and brings it back without a restart when it recovers (SIGCONT) before liveness gives up', async () => {
    const { agent, load } = await servingTwoReplicas();
    const [, group] = await replicaGroups(agent.dataDir);
    if (group === undefined) throw new Error('state.json records no second replica');

    stopped.push(group);
    signal(-group, 'SIGSTOP');
    await until('the stopped replica to be ejected', () => ejectedAt(agent, '1/1'), 10_000);
    // Readiness (3 probes) takes it out of rotation; liveness (6) has not restarted it yet.
    await until('readiness to take the stopped replica out', async () => ((await revisionOf(agent, 'production', 'api', 1))?.outOfRotation ?? 0) >= 1, 10_000);
    signal(-group, 'SIGCONT');
    stopped.splice(stopped.indexOf(group), 1);

    await until('the recovered replica to be ready again', async () => (await revisionOf(agent, 'production', 'api', 1))?.readyReplicas === 2, 10_000);
    const servedBefore = load.byBackend.get('1/1') ?? 0;
    await until('the recovered replica to take its share again', () => (load.byBackend.get('1/1') ?? 0) >= servedBefore + 50, 20_000);
    await load.stop();

    expect((await revisionOf(agent, 'production', 'api', 1))?.restarts).toBe(0);
    expect(await replicaGroups(agent.dataDir)).toContain(group);
    expect(load.failed.length / (load.ok + load.failed.length)).toBeLessThan(0.01);
  }, 120_000);

  it('retries GETs on the other replica when one is killed (kill -9): no request fails', async () => {
    const { agent, load } = await servingTwoReplicas();
    const [, group] = await replicaGroups(agent.dataDir);
    if (group === undefined) throw new Error('state.json records no second replica');

    signal(await serverProcessOf(group), 'SIGKILL');
    await until('the killed replica to be restarted', async () => ((await revisionOf(agent, 'production', 'api', 1))?.restarts ?? 0) >= 1, 30_000);
    await until('the restarted replica to be ready again', async () => (await revisionOf(agent, 'production', 'api', 1))?.readyReplicas === 2, 30_000);
    const servedBefore = load.byBackend.get('1/1') ?? 0;
    await until('the restarted replica to take its share again', () => (load.byBackend.get('1/1') ?? 0) >= servedBefore + 50, 20_000);
    await load.stop();

    console.info(`kill -9 of one replica: ${load.failed.length} of ${load.ok + load.failed.length} requests failed`);
    expect(load.failed).toEqual([]);
  }, 120_000);
});
