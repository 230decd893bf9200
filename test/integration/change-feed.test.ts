import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineBus, type EngineEvent } from '../../src/engine/events.js';
import { ChangeFeed } from '../../src/server/change-feed.js';
import { startPostgres, type TestPostgres } from '../support/postgres.js';
import { until } from '../support/temp.js';

describe('the change feed between two servers on one PostgreSQL database', () => {
  let cluster: TestPostgres;
  let url: string;
  const feeds: ChangeFeed[] = [];
  beforeAll(async () => {
    cluster = await startPostgres();
    url = await cluster.newDatabase();
  });
  afterAll(async () => {
    await Promise.all(feeds.map((f) => f.stop()));
    await cluster?.stop();
  });

  it("passes each server's changes to the other, not back to itself, and again after its connection is cut", async () => {
    const logger = pino({ level: 'silent' });
    const [a, b] = [new EngineBus(), new EngineBus()];
    const seenA: EngineEvent[] = [];
    const seenB: EngineEvent[] = [];
    a.subscribe((e) => seenA.push(e));
    b.subscribe((e) => seenB.push(e));
    const woken: EngineEvent[] = [];
    feeds.push(new ChangeFeed(url, a, logger), new ChangeFeed(url, b, logger, (e) => woken.push(e)));
    await Promise.all(feeds.map((f) => f.start()));

    a.emit({ type: 'run', runId: 1, state: 'running' });
    await until('server B to see run 1', () => seenB.some((e) => e.runId === 1) || undefined, 10_000);
    expect(woken).toEqual([{ type: 'run', runId: 1, state: 'running' }]);
    // A's own event reached its subscribers once, from its own bus, not again from the feed.
    expect(seenA.filter((e) => e.runId === 1)).toHaveLength(1);

    // The database ends B's listening connection (a restart, a failover): B listens again by itself.
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    const cut = await admin.query("select pg_terminate_backend(pid) from pg_stat_activity where query ilike 'listen %' and pid <> pg_backend_pid()");
    await admin.end();
    expect(cut.rowCount).toBeGreaterThan(0);
    await until('server B to hear run 2 after reconnecting', () => {
      a.emit({ type: 'run', runId: 2, state: 'succeeded' });
      return seenB.some((e) => e.runId === 2) || undefined;
    }, 15_000, 250);
  });
});
