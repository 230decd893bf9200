import autocannon from 'autocannon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScratchRepo } from '../../src/cli/demo/scratch-repo.js';
import type { RunView } from '../../src/server/views.js';
import { basePort, deployConfig, serviceFiles } from '../support/deploy-fixture.js';
import { fixtureRepo, pushChange } from '../support/fixture-repo.js';
import { TempDirs } from '../support/temp.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

interface Deployment {
  revision: number;
  release: string;
  state: string;
  reason: string | null;
}

describe('rollbacks and switches on a running environment', () => {
  const temp = new TempDirs();
  const port = basePort();
  const config = deployConfig({ port });
  let t: TestServer;
  let repo: ScratchRepo;
  const shas: string[] = [];
  const version = async (p: number): Promise<string> => ((await (await fetch(`http://127.0.0.1:${p}/`)).json()) as { version: string }).version;

  beforeAll(async () => {
    const root = await temp.make();
    repo = await fixtureRepo(root, { 'gantry.yaml': config, ...serviceFiles('v1') });
    t = await startTestServer(root, repo, config);
    for (const v of ['v1', 'v2', 'v3']) {
      if (v !== 'v1') await pushChange(repo, 'develop', serviceFiles(v), v, 'develop');
      const res = await t.api<{ run: RunView }>('POST', '/api/v1/dispatch', { environment: 'dev' });
      const run = await t.finished(res.body.run.id, 60_000);
      expect(run.run.state).toBe('succeeded');
      shas.push(run.run.sha);
    }
    expect(await version(port)).toBe('v3');
  });
  afterAll(async () => {
    await t.server.close({ stopAgents: true });
    await temp.cleanup();
  });

  it('rolls back to the previous revision, then to a given one, and the history shows both', async () => {
    const back = await t.api<{ run: RunView }>('POST', '/api/v1/environments/dev/rollback', { reason: 'v3 is slow' });
    expect(back.status).toBe(201);
    expect((await t.finished(back.body.run.id, 60_000)).run.state).toBe('succeeded');
    expect(await version(port)).toBe('v2');

    const toFirst = await t.api<{ run: RunView }>('POST', '/api/v1/environments/dev/rollback', { service: 'api', toRevision: 1, reason: 'back to the start' });
    expect((await t.finished(toFirst.body.run.id, 60_000)).run.state).toBe('succeeded');
    expect(await version(port)).toBe('v1');

    const history = await t.api<{ deployments: Deployment[] }>('GET', '/api/v1/environments/dev/history?service=api');
    expect(history.body.deployments.map((d) => [d.revision, d.release, d.state])).toEqual([
      [5, shas[0], 'succeeded'],
      [4, shas[1], 'succeeded'],
      [3, shas[2], 'succeeded'],
      [2, shas[1], 'succeeded'],
      [1, shas[0], 'succeeded'],
    ]);
    expect(history.body.deployments[0]?.reason).toBe('rollback to r1: back to the start');
    expect(history.body.deployments[1]?.reason).toBe('rollback to r2: v3 is slow');
  });

  it('refuses a rollback to a revision that does not exist', async () => {
    const res = await t.api<{ code: string; hint: string }>('POST', '/api/v1/environments/dev/rollback', { service: 'api', toRevision: 99 });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('ROLLBACK_UNAVAILABLE');
    expect(res.body.hint).toMatch(/gantry history dev/);
  });

  it('redeploys an earlier release by its sha without building anything', async () => {
    const res = await t.api<{ run: RunView }>('POST', '/api/v1/dispatch', { environment: 'dev', release: (shas[2] ?? '').slice(0, 10) });
    const run = await t.finished(res.body.run.id, 60_000);
    expect(run.run.state).toBe('succeeded');
    expect(run.steps.find((s) => s.key === 'build:api')?.cached).toBe(true);
    expect(await version(port)).toBe('v3');
    const unknown = await t.api<{ code: string }>('POST', '/api/v1/dispatch', { environment: 'dev', release: 'abcdef12' });
    expect(unknown.body.code).toBe('RELEASE_NOT_FOUND');
  });

  it('switches production blue-green 20 times under load without a single failed request', async () => {
    // Staging first (promotion policy), then alternate two releases into production 20 times.
    for (const sha of [shas[1], shas[2]]) {
      const staged = await t.api<{ run: RunView }>('POST', '/api/v1/dispatch', { environment: 'staging', release: sha });
      expect((await t.finished(staged.body.run.id, 60_000)).run.state).toBe('succeeded');
    }
    const first = await t.api<{ run: RunView }>('POST', '/api/v1/dispatch', { environment: 'production', release: shas[1] });
    expect((await t.finished(first.body.run.id, 60_000)).run.state).toBe('succeeded');
    let finish: (r: autocannon.Result) => void = () => undefined;
    const done = new Promise<autocannon.Result>((resolve) => (finish = resolve));
    const load = autocannon({ url: `http://127.0.0.1:${port + 20}/`, connections: 8, duration: 600, amount: 2_000_000 }, (_err, r) => finish(r));
    const seen = new Set<string>();
    try {
      for (let i = 0; i < 20; i++) {
        const sha = i % 2 === 0 ? shas[2] : shas[1];
        const res = await t.api<{ run: RunView }>('POST', '/api/v1/dispatch', { environment: 'production', release: sha });
        const run = await t.finished(res.body.run.id, 60_000);
        expect(run.run.state, JSON.stringify(run.run.error)).toBe('succeeded');
        seen.add(await version(port + 20));
      }
    } finally {
      load.stop();
    }
    const result = await done;
    expect(seen).toEqual(new Set(['v2', 'v3']));
    expect(result.requests.total).toBeGreaterThan(1_000);
    expect(result.errors).toBe(0);
    expect(result.timeouts).toBe(0);
    expect(result.non2xx).toBe(0);
  }, 300_000);
});
