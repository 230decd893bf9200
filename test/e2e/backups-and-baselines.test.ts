import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScratchRepo } from '../../src/cli/demo/scratch-repo.js';
import type { RunView, StepView } from '../../src/server/views.js';
import { basePort, serviceFiles } from '../support/deploy-fixture.js';
import { fixtureRepo, pushChange } from '../support/fixture-repo.js';
import { TempDirs } from '../support/temp.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

const config = (port: number): string => `version: 1
project:
  name: backups
repository:
  url: .
  defaultBranch: staging
services:
  api:
    path: api
    build:
      run: mkdir -p out && cp server.mjs version out/ && (cp mode out/ 2>/dev/null || true)
      output: out
    run:
      command: node server.mjs
      port: ${port}
    health:
      interval: 100ms
      deadline: 3s
environments:
  staging:
    branch: staging
    backup:
      retention: 30d
    verify:
      - kind: health
      - kind: load
        service: api
        duration: 1s
        connections: 2
        maxErrorRate: 0.01
        maxRpsDecrease: 0.5
`;

interface BackupView {
  id: number;
  environment: string;
  services: Array<{ service: string; revision: number; release: string; digest: string; weights: Record<string, number>; config: { command: string } | null }>;
}

describe('backups before a deployment, restores, and load baselines', () => {
  const temp = new TempDirs();
  const port = basePort();
  let t: TestServer;
  let repo: ScratchRepo;
  const version = async (): Promise<string> => ((await (await fetch(`http://127.0.0.1:${port}/`)).json()) as { version: string }).version;
  const deploy = async (): Promise<{ run: RunView; steps: StepView[] }> => {
    const res = await t.api<{ run: RunView }>('POST', '/api/v1/dispatch', { environment: 'staging' });
    return t.finished(res.body.run.id, 90_000);
  };

  beforeAll(async () => {
    const root = await temp.make();
    repo = await fixtureRepo(root, { 'gantry.yaml': config(port), ...serviceFiles('v1') });
    t = await startTestServer(root, repo, config(port));
  });
  afterAll(async () => {
    await t.server.close({ stopAgents: true });
    await temp.cleanup();
  });

  it('takes a backup under the lock before deploying, holding what was live', async () => {
    const first = await deploy();
    expect(first.run.state, JSON.stringify(first.run.error)).toBe('succeeded');
    expect(first.steps.map((s) => s.key).slice(0, 4)).toEqual(['scan:security', 'build:api', 'lock:staging', 'backup:staging']);
    await pushChange(repo, 'staging', serviceFiles('v2'), 'v2', 'staging');
    const second = await deploy();
    expect(second.run.state, JSON.stringify(second.run.error)).toBe('succeeded');
    const { body } = await t.api<{ backups: BackupView[] }>('GET', '/api/v1/backups?environment=staging');
    expect(body.backups.map((b) => b.services.map((s) => `${s.service}@r${s.revision}`))).toEqual([['api@r1'], []]);
    const latest = body.backups[0];
    expect(latest?.services[0]).toMatchObject({ release: first.run.sha, weights: { '1': 100 }, config: { command: 'node server.mjs' } });
  });

  it('keeps each load result, and compares the next release with the last successful one', async () => {
    const second = (await t.api<{ runs: RunView[] }>('GET', '/api/v1/runs?environment=staging&limit=1')).body.runs[0];
    const run = await t.api<{ steps: StepView[] }>('GET', `/api/v1/runs/${second?.id ?? 0}`);
    const load = run.body.steps.find((s) => s.key === 'verify:staging')?.summary?.load as { rps: number; baseline: { rps: number } | null };
    expect(load.rps).toBeGreaterThan(0);
    expect(load.baseline?.rps).toBeGreaterThan(0);
  });

  it('fails a release whose throughput falls behind the baseline, and rolls it back', async () => {
    await pushChange(repo, 'staging', serviceFiles('v3-slow', 'slow'), 'v3: slow', 'staging');
    const run = await deploy();
    expect(run.run.state).toBe('failed');
    expect(run.run.error?.code).toBe('LOAD_TEST_FAILED');
    expect(run.run.error?.message).toMatch(/below the baseline/);
    expect(run.steps.find((s) => s.key === 'rollback:staging')?.state).toBe('succeeded');
    expect(await version()).toBe('v2');
  });

  it('restores a backup exactly, as an audited run', async () => {
    const { body } = await t.api<{ backups: BackupView[] }>('GET', '/api/v1/backups?environment=staging');
    const withV1 = body.backups.find((b) => b.services[0]?.revision === 1);
    const res = await t.api<{ run: RunView }>('POST', `/api/v1/backups/${withV1?.id ?? 0}/restore`, { reason: 'v2 breaks invoices' });
    expect(res.status).toBe(201);
    const run = await t.finished(res.body.run.id, 90_000);
    expect(run.run.state, JSON.stringify(run.run.error)).toBe('succeeded');
    expect(await version()).toBe('v1');
    const events = await t.server.store.events.list(20, res.body.run.id);
    expect(events.find((e) => e.kind === 'backup.restored')?.data).toMatchObject({ backupId: withV1?.id, reason: 'v2 breaks invoices' });
    const missing = await t.api<{ code: string }>('POST', '/api/v1/backups/999/restore', {});
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('BACKUP_NOT_FOUND');
  });

  it('pins the artifacts its backups reference, and prunes backups once their retention has passed', async () => {
    const before = await t.server.store.backups.list('staging');
    expect(before.length).toBeGreaterThan(0);
    const pinned = await t.server.store.backups.pinnedDigests(Date.now());
    expect([...pinned]).toEqual([...new Set(before.flatMap((b) => b.services.map((s) => s.digest)))]);
    expect(pinned.size).toBeGreaterThan(0);
    expect((await t.server.store.backups.pinnedDigests(Date.now() + 31 * 86_400_000)).size).toBe(0);
    const pruned = await t.server.store.backups.prune(Date.now() + 31 * 86_400_000);
    expect(pruned.map((b) => b.id).sort()).toEqual(before.map((b) => b.id).sort());
    expect(await t.server.store.backups.list('staging')).toEqual([]);
  });
});
