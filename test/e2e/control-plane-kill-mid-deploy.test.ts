import type { ChildProcess } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { LoadDriver } from '../../src/cli/demo/load-driver.js';
import { LocalTarget } from '../../src/targets/local/local-target.js';
import { stopAgentProcesses } from '../../src/targets/local/stop-agents.js';
import { basePort, serviceFiles } from '../support/deploy-fixture.js';
import { fixtureRepo, pushChange } from '../support/fixture-repo.js';
import { startServerProcess, type ServerProcess } from '../support/server-process.js';
import { TempDirs, until } from '../support/temp.js';

const WATCH_MS = 6_000;
/** The watch's tick (steps/watch.ts): the ± of the watched time. */
const TICK_MS = 500;
const MEASUREMENTS = 9;

/** Four replicas with maxSurge 1: four batches one health interval (700 ms) apart; a 6 s watch with a 9 s analysis. */
function config(port: number): string {
  return `version: 1
project:
  name: kills
repository:
  url: .
  defaultBranch: main
services:
  api:
    path: api
    build:
      run: mkdir -p out && cp server.mjs version out/
      output: out
    run:
      command: node server.mjs
      port: ${port}
    replicas: 4
    health:
      path: /healthz
      interval: 700ms
      deadline: 20s
environments:
  prod:
    branch: main
    strategy:
      kind: rolling
      maxSurge: 1
    watch:
      duration: ${WATCH_MS}ms
      maxErrorRate: 0.05
      analysis:
        - name: error-rate
          provider: router
          query: error-rate
          interval: 1s
          count: ${MEASUREMENTS}
          successCondition: result < 0.05
          failureLimit: 0
          inconclusiveLimit: 2
`;
}

interface StoredWatch {
  readonly watchedMs: number;
  readonly windowMs: number | null;
  readonly startedAt: number;
  readonly analysis: { readonly records: ReadonlyArray<{ readonly index: number; readonly at: number }> } | null;
}
interface Progress {
  readonly phase: string;
  readonly stepIndex: number;
  readonly weights: Record<string, number>;
  readonly watch?: StoredWatch;
}

describe('kill -9 of the control plane in the middle of a rolling shift, a watch window and an analysis', () => {
  const temp = new TempDirs();
  const procs: ChildProcess[] = [];
  let dataDir = '';

  afterAll(async () => {
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    if (dataDir) await stopAgentProcesses(join(dataDir, 'agents'));
    await temp.cleanup();
  });

  it('finishes the deployment from where it was each time: weights never go back, and the watch watches its duration once', async () => {
    const port = basePort();
    const text = config(port);
    const root = await temp.make();
    const repo = await fixtureRepo(root, { 'gantry.yaml': text, ...serviceFiles('v1') });
    const configPath = join(root, 'server.yaml');
    await writeFile(configPath, text.replace('url: .', `url: ${repo.originDir}`));
    dataDir = join(root, 'data');
    let server: ServerProcess = await startServerProcess(configPath, dataDir);
    procs.push(server.child);
    const headers = { authorization: `Bearer ${(await readFile(join(dataDir, 'admin.token'), 'utf8')).trim()}`, 'content-type': 'application/json' };
    const api = async <T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> =>
      (await (await fetch(`${server.url}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) })).json()) as T;
    type RunView = { run: { state: string }; steps: Array<{ key: string; state: string; summary: Record<string, unknown> | null }> };
    const finished = (id: number) => until(`run #${id} to finish`, async () => {
      const r = await api<RunView>('GET', `/api/v1/runs/${id}`);
      return ['succeeded', 'failed', 'cancelled'].includes(r.run.state) ? r : undefined;
    }, 120_000);
    const url = `http://127.0.0.1:${port}/`;
    const load = new LoadDriver([url], 3);
    load.start();
    const first = await api<{ run: { id: number } }>('POST', '/api/v1/dispatch', { environment: 'prod', ref: 'main' });
    expect((await finished(first.run.id)).run.state).toBe('succeeded');

    // The deployment's progress as the control plane stored it (read-only; WAL lets a reader in beside the server).
    const db = new BetterSqlite3(join(dataDir, 'gantry.db'), { readonly: true, fileMustExist: true });
    const progressOf = (runId: number): Progress | undefined => {
      const row = db.prepare('SELECT progress FROM deployments WHERE run_id = ? ORDER BY id DESC LIMIT 1').get(runId) as { progress: string | null } | undefined;
      return row?.progress ? (JSON.parse(row.progress) as Progress) : undefined;
    };
    // The agent keeps the routes while the control plane is down: its weights are the truth users see.
    const agentUrl = (JSON.parse(await readFile(join(dataDir, 'agents', 'local', 'agent.json'), 'utf8')) as { url: string }).url;
    const target = new LocalTarget('local', () => Promise.resolve(agentUrl), (await readFile(join(dataDir, 'agents', 'local', 'agent.token'), 'utf8')).trim());
    const shares: number[] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const weights = (await target.describe('prod').catch(() => []))[0]?.weights.main ?? {};
        if (weights['2'] !== undefined) shares.push(weights['2']);
        await new Promise((r) => setTimeout(r, 25));
      }
    })();
    const kill = async (): Promise<number> => {
      server.child.kill('SIGKILL');
      await new Promise((r) => server.child.once('exit', r));
      const at = Date.now();
      server = await startServerProcess(configPath, dataDir);
      procs.push(server.child);
      return at;
    };

    try {
      await pushChange(repo, 'release/v2', serviceFiles('v2'), 'v2', 'main');
      const { run } = await api<{ run: { id: number } }>('POST', '/api/v1/dispatch', { environment: 'prod', ref: 'release/v2' });

      // 1. In the middle of the shift: r2 has a batch of main traffic, not all of it.
      const midShift = await until('a batch of the shift', () => {
        const p = progressOf(run.id);
        return p?.phase === 'shifting' && p.stepIndex >= 1 && p.stepIndex < 4 ? p : undefined;
      }, 60_000, 10);
      await kill();

      // 2. In the middle of the watch window.
      const midWatch = await until('the middle of the watch window', () => {
        const w = progressOf(run.id)?.watch;
        return w && w.watchedMs >= 2_000 && w.windowMs === null ? w : undefined;
      }, 60_000, 10);
      const watchKilledAt = await kill();

      // 3. In the middle of the analysis: the window is over, some measurements are still to come.
      const midAnalysis = await until('the middle of the analysis', () => {
        const w = progressOf(run.id)?.watch;
        const taken = w?.analysis?.records.length ?? 0;
        return w && w.windowMs !== null && taken >= 1 && taken < MEASUREMENTS - 1 ? w : undefined;
      }, 60_000, 10);
      const analysisKilledAt = await kill();

      const done = await finished(run.id);
      expect(done.run.state, JSON.stringify(done.steps.filter((s) => s.state !== 'succeeded'))).toBe('succeeded');
      expect(midShift.weights['2']).toBeGreaterThan(0);
      expect(midShift.weights['2']).toBeLessThan(100);

      // The shift went on from the share it had: r2's share never went down, and ended at 100.
      expect(shares.length).toBeGreaterThan(0);
      for (let i = 1; i < shares.length; i++) expect(shares[i], `shares seen: ${shares.join(',')}`).toBeGreaterThanOrEqual(shares[i - 1] as number);
      expect(shares.at(-1)).toBe(100);
      expect(new Set(shares)).toEqual(new Set(shares.filter((s) => [25, 50, 75, 100].includes(s))));

      // The watch began before the kill and carried on: watched time is the duration, not the duration plus what came before the crash.
      const watch = done.steps.find((s) => s.key === 'watch:prod')?.summary as { window: { watchedMs: number; startedAt: number; resumes: number }; analysis: Array<{ measurements?: Array<{ index: number; at: number }> }> };
      expect(watch.window.startedAt).toBe(midWatch.startedAt);
      expect(watch.window.startedAt).toBeLessThan(watchKilledAt);
      expect(watch.window.watchedMs).toBeGreaterThanOrEqual(WATCH_MS - TICK_MS);
      expect(watch.window.watchedMs).toBeLessThanOrEqual(WATCH_MS + TICK_MS);
      expect(watch.window.resumes).toBeGreaterThanOrEqual(1);

      // The analysis kept what it had measured before the kill and took only the rest: each measurement once.
      const measured = watch.analysis[0]?.measurements ?? [];
      expect(measured.map((m) => m.index)).toEqual(Array.from({ length: MEASUREMENTS }, (_, i) => i + 1));
      const before = midAnalysis.analysis?.records ?? [];
      expect(measured.slice(0, before.length).map((m) => m.at)).toEqual(before.map((r) => r.at));
      // One interval apart or more, never a burst of catching up after the restart.
      for (let i = 1; i < measured.length; i++) expect((measured[i]?.at ?? 0) - (measured[i - 1]?.at ?? 0)).toBeGreaterThanOrEqual(500);
      expect(measured.filter((m) => m.at > analysisKilledAt).length).toBeGreaterThan(0);

      // Users never noticed any of it, and one revision is left serving.
      const traffic = await load.stop();
      expect(traffic.failed).toBe(0);
      const [service] = await target.describe('prod');
      expect(service?.revisions.filter((r) => r.phase !== 'stopped').map((r) => r.revision)).toEqual([2]);
      expect(service?.weights.main).toEqual({ 2: 100 });
    } finally {
      sampling = false;
      await sampler;
      await load.stop();
      db.close();
    }
  }, 240_000);
});
