import { Migrator } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import type { StrategyConfig } from '../../src/config/types.js';
import type { DeployedSpec } from '../../src/domain/deployment.js';
import { migrationProvider } from '../../src/store/migrations/index.js';
import { Store } from '../../src/store/store.js';
import { storeBackends } from '../support/store-backends.js';
import { TempDirs } from '../support/temp.js';

/** One suite for every store backend that keeps a database between opens (an in-memory one does not). */
const BACKENDS = storeBackends().filter(([name]) => name !== 'SQLite in memory');

const newRun = { trigger: 'push', branch: 'main', ref: 'main', sha: 'c'.repeat(40), baseSha: null, environment: null, author: 'a', triggeredBy: 't', commitMessage: 'm', configJson: null } as const;
const spec: DeployedSpec = {
  command: 'node server.mjs --flavour plain',
  env: { GREETING: 'hello' },
  secrets: ['API_KEY'],
  replicas: 2,
  health: { path: '/healthz', expectStatus: 200, intervalMs: 100, timeoutMs: 2000, deadlineMs: 3000, readiness: { failureThreshold: 3, successThreshold: 1 }, liveness: { path: '/healthz', failureThreshold: 30 } },
  smoke: [],
};
const strategy: StrategyConfig = { kind: 'blue-green', scaleDownDelayMs: 200, previewPortOffset: 5 };

describe.each(BACKENDS)('deployment records in the store on %s', (_name, dialect) => {
  const temp = new TempDirs();
  let store: Store | undefined;
  afterEach(async () => {
    await store?.close();
    store = undefined;
    await temp.cleanup();
  });

  it('keeps what a deployment deployed and where its rollout stands', async () => {
    const s = (store = await Store.open(await dialect(await temp.make())));
    const run = await s.runs.create(newRun, { steps: [], notes: [] }, 0);
    const releaseId = await s.releases.ensure(newRun.sha, run.id, 0);
    const d = await s.deployments.ensure({ environment: 'dev', service: 'api', releaseId, digest: 'sha256:abc', previousRevision: null, strategy, target: 'local', spec, runId: run.id, triggeredBy: 't' }, 10);
    expect(d).toMatchObject({ revision: 1, strategyKind: 'blue-green', strategy, target: 'local', spec, progress: null, release: newRun.sha });
    const progress = { phase: 'preview-checks', stepIndex: 1, weights: { '1': 0 }, since: 20 };
    await s.deployments.setProgress(d.id, progress);
    expect((await s.deployments.get(d.id))?.progress).toEqual(progress);
    // ensure() is idempotent on resume: the same row, its record unchanged.
    const again = await s.deployments.ensure({ environment: 'dev', service: 'api', releaseId, digest: 'sha256:abc', previousRevision: null, strategy: { kind: 'rolling', maxSurge: 1 } as StrategyConfig, target: 'other', spec: { ...spec, command: 'x' }, runId: run.id, triggeredBy: 't' }, 30);
    expect(again).toMatchObject({ id: d.id, spec, strategy, target: 'local', progress });
  });

  it('reads a row written before migration 009 with no record, rather than failing', async () => {
    const chosen = await dialect(await temp.make());
    const db = chosen.open();
    const migrated = await new Migrator({ db, provider: migrationProvider(chosen) }).migrateTo('008-github-event-times');
    expect(migrated.error).toBeUndefined();
    await db.insertInto('runs').values({ trigger: 'push', branch: 'main', ref: 'main', sha: 'd'.repeat(40), base_sha: null, environment: null, state: 'succeeded', notes: '[]', author: null, triggered_by: 't', commit_message: null, commit_time: null, error_json: null, cancel_requested: 0, created_at: 0, started_at: null, finished_at: null }).execute();
    await db.insertInto('releases').values({ sha: 'd'.repeat(40), run_id: 1, committed_at: null, created_at: 0 }).execute();
    await db.insertInto('deployments').values({ environment: 'dev', service: 'api', release_id: 1, digest: 'sha256:old', revision: 1, previous_revision: null, strategy: 'rolling', run_id: 1, triggered_by: 't', state: 'succeeded', reason: null, created_at: 0, finished_at: 5 }).execute();
    await db.destroy();
    const s = (store = await Store.open(chosen));
    expect(await s.deployments.live('dev', 'api')).toMatchObject({ revision: 1, strategyKind: 'rolling', strategy: null, target: null, spec: null, progress: null });
  });

  it('keeps each region of an environment apart: one deployment per region per run, live per region, revision numbers shared', async () => {
    const s = (store = await Store.open(await dialect(await temp.make())));
    const run = await s.runs.create(newRun, { steps: [], notes: [] }, 0);
    const releaseId = await s.releases.ensure(newRun.sha, run.id, 0);
    const base = { environment: 'production', service: 'api', releaseId, digest: 'sha256:abc', previousRevision: null, strategy, spec, runId: run.id, triggeredBy: 't' };
    const us = await s.deployments.ensure({ ...base, target: 'us', region: 'us-east-1' }, 10);
    const eu = await s.deployments.ensure({ ...base, target: 'eu', region: 'eu-west-1' }, 11);
    expect([us.region, us.revision, eu.region, eu.revision]).toEqual(['us-east-1', 1, 'eu-west-1', 2]);
    // Idempotent per region on resume.
    expect((await s.deployments.ensure({ ...base, target: 'eu', region: 'eu-west-1' }, 12)).id).toBe(eu.id);
    await s.deployments.setState(eu.id, 'succeeded', 20);
    expect((await s.deployments.live('production', 'api', 'eu-west-1'))?.id).toBe(eu.id);
    expect(await s.deployments.live('production', 'api', 'us-east-1')).toBeUndefined();
    // An environment without regions is region '': it never reads a region's deployment as its own.
    expect(await s.deployments.live('production', 'api')).toBeUndefined();
    expect((await s.deployments.allForRun(run.id)).map((d) => d.region)).toEqual(['us-east-1', 'eu-west-1']);
  });

  it('gives rows written before migration 014 the region of an environment without regions', async () => {
    const chosen = await dialect(await temp.make());
    const db = chosen.open();
    expect((await new Migrator({ db, provider: migrationProvider(chosen) }).migrateTo('013-bigint-references')).error).toBeUndefined();
    await db.insertInto('runs').values({ trigger: 'push', branch: 'main', ref: 'main', sha: 'd'.repeat(40), base_sha: null, environment: null, state: 'succeeded', notes: '[]', author: null, triggered_by: 't', commit_message: null, commit_time: null, error_json: null, cancel_requested: 0, created_at: 0, started_at: null, finished_at: null }).execute();
    await db.insertInto('releases').values({ sha: 'd'.repeat(40), run_id: 1, committed_at: null, created_at: 0 }).execute();
    await db.insertInto('deployments').values({ environment: 'dev', service: 'api', release_id: 1, digest: 'sha256:old', revision: 1, previous_revision: null, strategy: 'rolling', run_id: 1, triggered_by: 't', state: 'succeeded', reason: null, created_at: 0, finished_at: 5 }).execute();
    await db.destroy();
    const s = (store = await Store.open(chosen));
    expect(await s.deployments.live('dev', 'api')).toMatchObject({ revision: 1, region: '' });
  });
});
