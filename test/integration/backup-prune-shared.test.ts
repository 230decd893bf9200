import { afterEach, describe, expect, it } from 'vitest';
import { Store } from '../../src/store/store.js';
import { storeBackends } from '../support/store-backends.js';
import { TempDirs } from '../support/temp.js';

/** Backends where two Store objects share one database (two servers on it): not SQLite in memory. */
const SHARED = storeBackends().filter(([name]) => name !== 'SQLite in memory');

describe.each(SHARED)('backup pruning with two servers on one %s database', (_name, fresh) => {
  const temp = new TempDirs();
  const stores: Store[] = [];
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
    await temp.cleanup();
  });

  it('removes and reports each expired backup once when both prune at the same time, and keeps live ones', async () => {
    const dialect = await fresh(await temp.make());
    const a = await Store.open(dialect);
    const b = await Store.open(dialect);
    stores.push(a, b);
    const expired: number[] = [];
    for (let i = 0; i < 40; i++) {
      const backup = await a.backups.add({ environment: 'staging', runId: null, reason: 'pre-deploy', services: [], createdAt: i, expiresAt: 1_000 + i });
      expired.push(backup.id);
    }
    const live = await b.backups.add({ environment: 'staging', runId: null, reason: 'pre-deploy', services: [], createdAt: 0, expiresAt: 1_000_000 });
    // Each server's backup steps prune as they finish: several prunes from both at once.
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? a : b).backups.prune(5_000)));
    const reported = results.flat().map((x) => x.id);
    expect(reported.sort((x, y) => x - y)).toEqual(expired);
    expect((await a.backups.list()).map((x) => x.id)).toEqual([live.id]);
  });
});
