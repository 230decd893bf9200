import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScratchRepo } from '../../src/cli/demo/scratch-repo.js';
import type { RunView } from '../../src/server/views.js';
import { basePort } from '../support/deploy-fixture.js';
import { serviceFiles } from '../support/deploy-fixture.js';
import { fixtureRepo, pushChange } from '../support/fixture-repo.js';
import { SteadyLoad } from '../support/steady-load.js';
import { TempDirs, until } from '../support/temp.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

/** Two services, both in production behind their own router: a worker crash must cost neither a request. */
function config(port: number): string {
  const service = (name: string, offset: number): string => `  ${name}:
    path: ${name}
    build:
      run: mkdir -p out && cp server.mjs version out/
      output: out
    run:
      command: node server.mjs
      port: ${port + offset}
    # A readiness wait may span several worker restarts (a few seconds each on a busy 2-core machine).
    health: { path: /healthz, interval: 100ms, deadline: 30s }
`;
  return `version: 1
project:
  name: crashes
repository:
  url: .
  defaultBranch: main
services:
${service('api', 0)}${service('web', 1)}environments:
  prod:
    branch: main
    strategy:
      kind: blue-green
      scaleDownDelay: 100ms
      previewPortOffset: 10
    services: [api, web]
    verify:
      - kind: health
`;
}

const files = (version: string): Record<string, string> => {
  const api = serviceFiles(version);
  return { ...api, 'web/server.mjs': api['api/server.mjs'] ?? '', 'web/version': api['api/version'] ?? '' };
};

interface AgentRecord {
  readonly url: string;
  readonly pid: number;
  readonly workerPid: number;
}

/** The pid listening on a loopback port, as `ss` shows it: the revision's own process, whoever started it. */
function listenerPid(port: number): number {
  const out = execFileSync('ss', ['-Hltnp', `sport = :${port}`], { encoding: 'utf8' });
  return Number(/pid=(\d+)/.exec(out)?.[1] ?? 0);
}

describe('kill -9 of the agent worker under load (issue 17)', () => {
  const temp = new TempDirs();
  const port = basePort();
  const urls = [`http://127.0.0.1:${port}/`, `http://127.0.0.1:${port + 1}/`];
  let t: TestServer;
  let repo: ScratchRepo;
  let agentDir: string;
  const restartMs: number[] = [];

  const record = async (): Promise<AgentRecord> => JSON.parse(await readFile(join(agentDir, 'agent.json'), 'utf8')) as AgentRecord;
  const health = async (): Promise<{ workerPid?: number; workerRestarts?: number; lastWorkerExit?: { cause: string } | null }> => {
    const { url } = await record();
    const token = (await readFile(join(agentDir, 'agent.token'), 'utf8')).trim();
    return (await (await fetch(`${url}/v1/health`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(2_000) })).json()) as never;
  };
  const revisionPorts = async (): Promise<number[]> => {
    const { url } = await record();
    const token = (await readFile(join(agentDir, 'agent.token'), 'utf8')).trim();
    const body = (await (await fetch(`${url}/v1/environments/prod`, { headers: { authorization: `Bearer ${token}` } })).json()) as { services: Array<{ revisions: Array<{ phase: string; ports: number[] }> }> };
    return body.services.flatMap((s) => s.revisions.filter((r) => r.phase !== 'stopped').flatMap((r) => r.ports)).sort();
  };

  /** kill -9 of the worker, then waits until its successor answers: the parent started it. */
  async function killWorker(): Promise<string> {
    // The worker that answers now, from the agent itself: agent.json is rewritten a moment after a
    // new worker starts, so right after a restart it may still name the killed one (seen as ESRCH).
    const workerPid = (await health()).workerPid ?? (await record()).workerPid;
    const killedAt = Date.now();
    process.kill(workerPid, 'SIGKILL');
    const after = await until('a new worker to answer', async () => {
      const h = await health().catch(() => undefined);
      return h?.workerPid !== undefined && h.workerPid !== workerPid ? h : undefined;
    }, 20_000, 25);
    restartMs.push(Date.now() - killedAt);
    return after.lastWorkerExit?.cause ?? '';
  }

  beforeAll(async () => {
    const root = await temp.make();
    const text = config(port);
    repo = await fixtureRepo(root, { 'gantry.yaml': text, ...files('v1') });
    t = await startTestServer(root, repo, text);
    agentDir = join(t.dataDir, 'agents', 'local');
    const { body } = await t.api<{ run: RunView }>('POST', '/api/v1/dispatch', { environment: 'prod' });
    expect((await t.finished(body.run.id, 90_000)).run.state).toBe('succeeded');
  }, 120_000);

  afterAll(async () => {
    if (restartMs.length > 0) console.log(`agent worker restarts: ${restartMs.length}, kill to answering: median ${[...restartMs].sort((a, b) => a - b)[Math.floor(restartMs.length / 2)]} ms, max ${Math.max(...restartMs)} ms`);
    await t?.server.close({ stopAgents: true });
    await temp.cleanup();
  });

  it('at rest: 10 kills cost no request and no connection, and every revision keeps its process', async () => {
    const ports = await revisionPorts();
    expect(ports.length).toBe(2);
    const pids = ports.map(listenerPid);
    expect(pids.every((pid) => pid > 0)).toBe(true);
    const load = new SteadyLoad(urls, 20);
    load.start();
    await load.flowing();
    const causes: string[] = [];
    for (let i = 0; i < 10; i++) {
      causes.push(await killWorker());
      await load.flowing(40);
    }
    const result = await load.stop();
    expect(result.failures).toEqual([]);
    expect(result.failed).toBe(0);
    expect(result.ok).toBeGreaterThan(400);
    expect(causes.every((c) => /killed by SIGKILL/.test(c)), causes.join('; ')).toBe(true);
    expect((await health()).workerRestarts).toBeGreaterThanOrEqual(10);
    // Adopted, not restarted: the same processes on the same ports.
    expect(await revisionPorts()).toEqual(ports);
    expect(ports.map(listenerPid)).toEqual(pids);
  }, 180_000);

  it('mid-switch: 10 kills during a blue-green deployment cost no request, and the deployment ends as it would have', async () => {
    await pushChange(repo, 'release/v2', files('v2'), 'v2', 'main');
    const load = new SteadyLoad(urls, 20);
    load.start();
    await load.flowing();
    const { body } = await t.api<{ run: RunView }>('POST', '/api/v1/dispatch', { environment: 'prod', ref: 'release/v2' });
    const id = body.run.id;
    const ended = (): Promise<boolean> => t.api<{ run: RunView }>('GET', `/api/v1/runs/${id}`).then((r) => ['succeeded', 'failed', 'cancelled'].includes(r.body.run.state));
    let kills = 0;
    while (kills < 10 && !(await ended())) {
      await killWorker();
      kills += 1;
      await load.flowing(20);
    }
    const run = await t.finished(id, 120_000);
    await load.flowing(40);
    const result = await load.stop();
    expect(run.run.state, JSON.stringify(run.run.error)).toBe('succeeded');
    expect(kills).toBeGreaterThanOrEqual(3);
    expect(result.failures).toEqual([]);
    expect(result.failed).toBe(0);
    for (const url of urls) expect(((await (await fetch(url)).json()) as { version: string }).version).toBe('v2');
  }, 240_000);
});
