import { afterEach, describe, expect, it } from 'vitest';
import { Store } from '../../src/store/store.js';
import { storeBackends } from '../support/store-backends.js';
import { TempDirs } from '../support/temp.js';

/** One suite for every store backend: SQLite file, SQLite in memory, a real PostgreSQL. */
const BACKENDS = storeBackends();

const newRun = { trigger: 'push', branch: 'main', ref: 'main', sha: 'c'.repeat(40), baseSha: null, environment: null, author: 'a', triggeredBy: 't', commitMessage: 'm', configJson: null } as const;
const plan = { steps: [{ key: 'a', kind: 'k', name: 'a', needs: [], spec: { x: 1 }, maxAttempts: 2 }, { key: 'b', kind: 'k', name: 'b', needs: ['a'], spec: {}, maxAttempts: 1 }], notes: ['hello'] };

describe.each(BACKENDS)('the store on %s', (_name, dialect) => {
  const temp = new TempDirs();
  let store: Store | undefined;
  afterEach(async () => {
    await store?.close();
    store = undefined;
    await temp.cleanup();
  });
  const open = async () => (store = await Store.open(await dialect(await temp.make())));

  it('stores a run and its whole plan in one go, in plan order', async () => {
    const s = await open();
    const run = await s.runs.create(newRun, plan, 1000);
    expect(run).toMatchObject({ id: 1, state: 'queued', notes: ['hello'], createdAt: 1000 });
    const steps = await s.steps.forRun(run.id);
    expect(steps.map((x) => [x.key, x.state, x.needs, x.maxAttempts])).toEqual([
      ['a', 'pending', [], 2],
      ['b', 'pending', ['a'], 1],
    ]);
    expect(steps[0]?.spec).toEqual({ x: 1 });
  });

  it('lets only one owner claim a step, and takes it over only after the lease expires', async () => {
    const s = await open();
    const run = await s.runs.create(newRun, plan, 0);
    const [a] = await s.steps.forRun(run.id);
    const id = a?.id ?? 0;
    expect(await s.steps.claim(id, 'one', 100, 1000)).toMatchObject({ state: 'running', leaseOwner: 'one', attempt: 1 });
    expect(await s.steps.claim(id, 'two', 500, 1000)).toBeUndefined();
    expect(await s.steps.heartbeat(id, 'two', 5000)).toBe(false);
    expect(await s.steps.claim(id, 'two', 1200, 1000)).toMatchObject({ leaseOwner: 'two', attempt: 2 });
    expect(await s.steps.finish(id, 'one', { state: 'succeeded' }, 1300)).toBe(false);
    expect(await s.steps.finish(id, 'two', { state: 'succeeded', summary: { ok: true } }, 1300)).toBe(true);
    expect(await s.steps.get(id)).toMatchObject({ state: 'succeeded', summary: { ok: true }, leaseOwner: null });
  });

  it('holds one environment lock per environment', async () => {
    const s = await open();
    // Locks are held by runs that exist and have not ended; acquire evicts any other holder.
    await s.runs.create(newRun, plan, 0);
    await s.runs.create(newRun, plan, 0);
    expect((await s.locks.acquire('dev', 1, 10)).runId).toBe(1);
    expect((await s.locks.acquire('dev', 2, 11)).runId).toBe(1);
    expect((await s.locks.acquire('staging', 2, 12)).runId).toBe(2);
    await s.locks.releaseAll(1);
    expect((await s.locks.acquire('dev', 2, 13)).runId).toBe(2);
    expect((await s.locks.list()).map((l) => [l.environment, l.runId])).toEqual([
      ['dev', 2],
      ['staging', 2],
    ]);
  });

  it('finishes a run once, releasing its locks in the same write, and lets acquire evict a lock whose run has ended or is gone', async () => {
    const s = await open();
    const run = await s.runs.create(newRun, plan, 0);
    await s.locks.acquire('dev', run.id, 10);
    expect(await s.runs.finish(run.id, 'succeeded', 20, null)).toBe(true);
    expect(await s.locks.holder('dev')).toBeUndefined();
    expect(await s.runs.finish(run.id, 'failed', 30, { code: 'INTERNAL', message: 'late' })).toBe(false);
    expect(await s.runs.get(run.id)).toMatchObject({ state: 'succeeded', finishedAt: 20, error: null });

    const next = await s.runs.create(newRun, plan, 40);
    await s.db.insertInto('env_locks').values({ environment: 'dev', run_id: run.id, acquired_at: 15 }).execute();
    await s.db.insertInto('env_locks').values({ environment: 'staging', run_id: 4242, acquired_at: 15 }).execute();
    expect(await s.locks.acquire('dev', next.id, 50)).toEqual({ environment: 'dev', runId: next.id, acquiredAt: 50, evicted: { runId: run.id, runState: 'succeeded' } });
    expect(await s.locks.acquire('staging', next.id, 50)).toMatchObject({ runId: next.id, evicted: { runId: 4242, runState: null } });
    expect(await s.locks.acquire('dev', next.id, 60)).toEqual({ environment: 'dev', runId: next.id, acquiredAt: 50 });
  });

  it('keeps log lines in order per step and run, and tails the last ones', async () => {
    const s = await open();
    const run = await s.runs.create(newRun, plan, 0);
    const [a, b] = await s.steps.forRun(run.id);
    const line = (stepId: number, text: string) => ({ stepId, attempt: 1, stream: 'stdout' as const, text, at: 1 });
    await s.logs.append(run.id, [line(a?.id ?? 0, 'one'), line(b?.id ?? 0, 'x'), line(a?.id ?? 0, 'two'), line(a?.id ?? 0, 'three')]);
    expect((await s.logs.forStep(a?.id ?? 0)).map((l) => l.text)).toEqual(['one', 'two', 'three']);
    expect(await s.logs.tail(a?.id ?? 0, 1, 2)).toEqual(['two', 'three']);
    const all = await s.logs.forRun(run.id);
    expect(all.map((l) => l.text)).toEqual(['one', 'x', 'two', 'three']);
    expect((await s.logs.forRun(run.id, all[1]?.id)).map((l) => l.text)).toEqual(['two', 'three']);
  });

  it('caches gate passes by key and remembers branch heads and their last green commit', async () => {
    const s = await open();
    await s.gateCache.put({ key: 'k', service: 'api', gate: 'lint', runId: 1, stepId: 2, summary: { exitCode: 0 }, createdAt: 5 });
    expect(await s.gateCache.get('k')).toMatchObject({ runId: 1, summary: { exitCode: 0 } });
    expect(await s.gateCache.get('other')).toBeUndefined();
    await s.branches.setHead('main', 'aaa', 1);
    await s.branches.setGreen('main', 'aaa', 2);
    await s.branches.setHead('main', 'bbb', 3);
    expect(await s.branches.get('main')).toMatchObject({ sha: 'bbb', lastGreenSha: 'aaa' });
  });

  it('finds only active, unexpired tokens by hash', async () => {
    const s = await open();
    await s.tokens.create('ci', null, 'hash-1', ['deployer:*'], 0, 100);
    expect(await s.tokens.findActive('hash-1', 50)).toMatchObject({ user: 'ci', roles: ['deployer:*'] });
    expect(await s.tokens.findActive('hash-1', 150)).toBeUndefined();
    expect(await s.tokens.findActive('nope', 50)).toBeUndefined();
  });
});
