import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RunView } from '../../src/server/views.js';
import { ROLE_LEASES } from '../../src/server/server-roles.js';
import { sqliteDialect } from '../../src/store/sqlite/sqlite-dialect.js';
import { Store } from '../../src/store/store.js';
import { lintOnlyConfig } from '../support/ci-config.js';
import { fixtureRepo, pushChange } from '../support/fixture-repo.js';
import { TempDirs, until } from '../support/temp.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

const CONFIG = lintOnlyConfig('server-leases');

/**
 * A real server beside "another server" on its database: a second Store on the same SQLite file
 * that holds the leases as a live server would (it took them and renews far ahead).
 */
describe('a server that shares its database with another one', () => {
  const temp = new TempDirs();
  let t: TestServer | undefined;
  let other: Store | undefined;
  afterEach(async () => {
    await t?.close();
    await other?.close();
    t = undefined;
    other = undefined;
    await temp.cleanup();
  });

  const setUp = async () => {
    const root = await temp.make();
    const repo = await fixtureRepo(root, { 'gantry.yaml': CONFIG, 'api/x.js': 'export {};\n' });
    await mkdir(join(root, 'data'), { recursive: true, mode: 0o700 });
    other = await Store.open(sqliteDialect(join(root, 'data', 'gantry.db')));
    const now = Date.now();
    // The other server has looked at the repository already (so a new head is a push) and polls it.
    for (const branch of ['main', 'develop', 'staging']) await other.branches.setHead(branch, await repo.git('rev-parse', branch), now);
    for (const name of Object.values(ROLE_LEASES)) expect(await other.leases.tryAcquire(name, 'other-server', now, 600_000)).toBe(true);
    t = await startTestServer(root, repo, CONFIG);
    return { repo, t, other };
  };
  const runs = async (server: TestServer) => (await server.api<{ runs: RunView[] }>('GET', '/api/v1/runs?branch=feature%2Fleases')).body.runs;

  it('turns no push into a run while another server polls, and takes the watcher over once that one lets go', async () => {
    const { repo, t, other } = await setUp();
    const sha = await pushChange(repo, 'feature/leases', { 'api/y.js': 'export const y = 1;\n' }, 'a change');
    // The post-receive hook's nudge reaches this server: it does not hold the watcher's lease, so it
    // does not look (the route calls the watcher before it answers) and makes no run.
    const poll = vi.spyOn(t.server.watcher, 'poll');
    expect((await t.api('POST', '/api/v1/sources/notify')).status).toBe(202);
    expect(poll).not.toHaveBeenCalled();
    expect(await runs(t)).toEqual([]);
    expect(await other.leases.holder(ROLE_LEASES.sourceWatcher, Date.now())).toMatchObject({ owner: 'other-server' });
    // The other server stops cleanly (releases): this one takes over at its next try (ttl/3 = 5 s) and looks at once.
    await other.leases.release(ROLE_LEASES.sourceWatcher, 'other-server');
    const [run] = await until('a run for the push', async () => ((await runs(t)).length > 0 ? runs(t) : undefined), 15_000);
    expect(run).toMatchObject({ branch: 'feature/leases', sha });
    expect((await other.leases.holder(ROLE_LEASES.sourceWatcher, Date.now()))?.owner).not.toBe('other-server');
    // Told again, now as the holder: it looks, and the push is not turned into a second run.
    expect((await t.api('POST', '/api/v1/sources/notify')).status).toBe(202);
    expect(poll).toHaveBeenCalled();
    await t.server.watcher.poll();
    expect(await runs(t)).toHaveLength(1);
  });

  it('releases the leases it holds when it closes, so another server need not wait for them to expire', async () => {
    const { t, other } = await setUp();
    await other.leases.release(ROLE_LEASES.notifications, 'other-server');
    const owner = await until('this server takes the notifications lease', async () => (await other.leases.holder(ROLE_LEASES.notifications, Date.now()))?.owner, 15_000);
    expect(owner).not.toBe('other-server');
    await t.close();
    expect(await other.leases.holder(ROLE_LEASES.notifications, Date.now())).toBeUndefined();
    expect(await other.leases.holder(ROLE_LEASES.sourceWatcher, Date.now())).toMatchObject({ owner: 'other-server' });
  });
});
