import { InsertQueryNode, sql, type KyselyPlugin, type PluginTransformQueryArgs, type PluginTransformResultArgs, type QueryResult, type RootOperationNode, type UnknownRow } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import type { StoreDialect } from '../../src/store/dialect.js';
import { Store } from '../../src/store/store.js';
import { storeBackends } from '../support/store-backends.js';
import { TempDirs } from '../support/temp.js';

/**
 * Two stores on one database stand for two servers. Postgres only: SQLite is one server per
 * database by design (the data-folder lock), and two synchronous connections in one process would
 * only wait on each other's write lock.
 */
const BACKENDS = storeBackends().filter(([name]) => name === 'PostgreSQL');

const newRun = { trigger: 'push', branch: 'main', ref: 'main', sha: 'c'.repeat(40), baseSha: null, environment: null, author: 'a', triggeredBy: 't', commitMessage: 'm', configJson: null } as const;

describe.each(BACKENDS)('two servers on one %s database', (_name, fresh) => {
  const temp = new TempDirs();
  const open: Store[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
    await temp.cleanup();
  });
  const pair = async (): Promise<[Store, Store]> => {
    const dialect: StoreDialect = await fresh(await temp.make());
    const a = await Store.open(dialect);
    const b = await Store.open(dialect);
    open.push(a, b);
    return [a, b];
  };

  it('keeps the audit chain one line when both append at once', async () => {
    const [a, b] = await pair();
    await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? a : b).events.append('test.appended', i % 2 === 0 ? 'a' : 'b', null, { i }, 1000 + i)));
    const verdict = await a.events.verify();
    expect(verdict).toMatchObject({ ok: true, rows: 40 });
    expect(await b.events.verify()).toMatchObject({ ok: true, rows: 40 });
  });

  it('lets each step be claimed by exactly one of them, however they race', async () => {
    const [a, b] = await pair();
    const steps = Array.from({ length: 30 }, (_, i) => ({ key: `s${i}`, kind: 'k', name: `s${i}`, needs: [], spec: {}, maxAttempts: 1 }));
    const run = await a.runs.create(newRun, { steps, notes: [] }, 0);
    const ids = (await a.steps.forRun(run.id)).map((s) => s.id);
    const tries = ids.flatMap((id) => [a.steps.claim(id, 'server-a', 10, 60_000), b.steps.claim(id, 'server-b', 10, 60_000), a.steps.claim(id, 'server-a2', 10, 60_000)]);
    const won = (await Promise.all(tries)).filter((s) => s !== undefined);
    expect(won).toHaveLength(30);
    expect(new Set(won.map((s) => s.id)).size).toBe(30);
    const stored = await b.steps.forRun(run.id);
    expect(stored.every((s) => s.state === 'running' && s.attempt === 1)).toBe(true);
  });

  it('carries ids beyond 32 bits in every reference (bigserial ids, bigint references)', async () => {
    const [a] = await pair();
    await sql`select setval('runs_id_seq', 3000000000)`.execute(a.db);
    await sql`select setval('steps_id_seq', 3000000000)`.execute(a.db);
    const run = await a.runs.create(newRun, { steps: [{ key: 's', kind: 'k', name: 's', needs: [], spec: {}, maxAttempts: 1 }], notes: [] }, 0);
    expect(run.id).toBe(3000000001);
    const [step] = await a.steps.forRun(run.id);
    expect(step?.id).toBe(3000000001);
    await a.logs.append(run.id, [{ stepId: step?.id ?? 0, attempt: 1, stream: 'stdout', text: 'hello', at: 1 }]);
    expect((await a.logs.forStep(step?.id ?? 0)).map((l) => l.text)).toEqual(['hello']);
    await a.events.append('test.big', 'a', run.id, {}, 1);
    expect((await a.events.list(1, run.id))[0]?.runId).toBe(3000000001);
  });

  it('takes a lock its holder releases from another server mid-attempt, never failing the attempt', async () => {
    // Server B's store pauses right after its lock insert (which yields to the holder's row) and,
    // before it reads the row back, the holder's run ends on server A: the row is gone when B looks.
    const dialect: StoreDialect = await fresh(await temp.make());
    const a = await Store.open(dialect);
    open.push(a);
    let releaseHolder: (() => Promise<void>) | undefined;
    const inserts = new Set<unknown>();
    const pauseAfterLockInsert: KyselyPlugin = {
      transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
        if (InsertQueryNode.is(args.node) && JSON.stringify(args.node.into).includes('env_locks')) inserts.add(args.queryId);
        return args.node;
      },
      async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
        if (inserts.delete(args.queryId) && releaseHolder) {
          const release = releaseHolder;
          releaseHolder = undefined;
          await release();
        }
        return args.result;
      },
    };
    const b = await Store.open({ ...dialect, open: () => dialect.open().withPlugin(pauseAfterLockInsert) });
    open.push(b);
    const holder = await a.runs.create(newRun, { steps: [], notes: [] }, 0);
    const next = await b.runs.create(newRun, { steps: [], notes: [] }, 0);
    await a.runs.markStarted(holder.id, 1);
    await b.runs.markStarted(next.id, 1);
    await a.locks.acquire('dev', holder.id, 2);
    releaseHolder = async () => {
      expect(await a.runs.finish(holder.id, 'succeeded', 3, null)).toBe(true);
    };
    const attempt = await b.locks.acquire('dev', next.id, 3);
    expect(releaseHolder).toBeUndefined();
    expect(attempt.runId).toBe(next.id);
    expect((await a.locks.holder('dev'))?.runId).toBe(next.id);
  });

  it('hands an environment lock to one run at a time', async () => {
    const [a, b] = await pair();
    const runs = await Promise.all(Array.from({ length: 6 }, () => a.runs.create(newRun, { steps: [], notes: [] }, 0)));
    await Promise.all(runs.map((r) => a.runs.markStarted(r.id, 1)));
    const attempts = await Promise.all(runs.map((r, i) => (i % 2 === 0 ? a : b).locks.acquire('production', r.id, 5)));
    const holders = new Set(attempts.map((x) => x.runId));
    expect(holders.size).toBe(1);
    expect(runs.map((r) => r.id)).toContain([...holders][0]);
  });
});
