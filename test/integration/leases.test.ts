import { afterEach, describe, expect, it } from 'vitest';
import { LeasedRole, type Role } from '../../src/engine/leased-role.js';
import { systemClock } from '../../src/kernel/clock.js';
import { createLogger } from '../../src/kernel/logger.js';
import { Store } from '../../src/store/store.js';
import { storeBackends } from '../support/store-backends.js';
import { TempDirs, until } from '../support/temp.js';

/** Backends where two Store objects can share one database (two "servers" on it): not SQLite in memory. */
const SHARED = storeBackends().filter(([name]) => name !== 'SQLite in memory');

const logger = createLogger('silent');

/** A role that records how many servers run it at once. */
class CountingRole implements Role {
  starts = 0;
  stops = 0;
  running = false;
  constructor(private readonly shared: { active: number; most: number }) {}
  start(): void {
    this.starts += 1;
    this.running = true;
    this.shared.active += 1;
    this.shared.most = Math.max(this.shared.most, this.shared.active);
  }
  stop(): void {
    this.stops += 1;
    this.running = false;
    this.shared.active -= 1;
  }
}

describe.each(SHARED)('leases with two servers on one %s database', (_name, fresh) => {
  const temp = new TempDirs();
  const opened: Store[] = [];
  const roles: LeasedRole[] = [];
  afterEach(async () => {
    await Promise.all(roles.splice(0).map((r) => r.close()));
    await Promise.all(opened.splice(0).map((s) => s.close()));
    await temp.cleanup();
  });
  const twoServers = async (): Promise<[Store, Store]> => {
    const dialect = await fresh(await temp.make());
    const a = await Store.open(dialect);
    const b = await Store.open(dialect);
    opened.push(a, b);
    return [a, b];
  };

  it('gives a lease to exactly one of many owners racing for it, and again once it expires', async () => {
    const [a, b] = await twoServers();
    const owners = Array.from({ length: 20 }, (_, i) => `server-${i}`);
    for (const [round, now] of [0, 1_000, 5_000, 20_000].entries()) {
      // Each round starts after the previous holder's lease (ttl 2 s) ran out, except the second, inside it.
      const results = await Promise.all(owners.map((owner, i) => (i % 2 === 0 ? a : b).leases.tryAcquire('source-watcher', owner, now, 2_000)));
      const winners = owners.filter((_, i) => results[i]);
      expect(winners, `round ${round}`).toHaveLength(1);
      expect((await b.leases.holder('source-watcher', now))?.owner).toBe(winners[0]);
    }
  });

  it('renews for its holder only, keeps the take-over time on renewal, and frees at once on release', async () => {
    const [a, b] = await twoServers();
    expect(await a.leases.tryAcquire('notifications', 'one', 100, 1_000)).toBe(true);
    expect(await b.leases.tryAcquire('notifications', 'two', 600, 1_000)).toBe(false);
    expect(await a.leases.tryAcquire('notifications', 'one', 900, 1_000)).toBe(true);
    expect(await b.leases.holder('notifications', 1_500)).toEqual({ name: 'notifications', owner: 'one', acquiredAt: 100, expiresAt: 1_900 });
    expect(await b.leases.tryAcquire('notifications', 'two', 1_800, 1_000)).toBe(false);
    expect(await b.leases.holder('notifications', 1_901)).toBeUndefined();
    expect(await b.leases.tryAcquire('notifications', 'two', 1_901, 1_000)).toBe(true);
    expect(await a.leases.holder('notifications', 1_950)).toMatchObject({ owner: 'two', acquiredAt: 1_901 });
    await a.leases.release('notifications', 'one'); // not the holder: changes nothing
    expect(await a.leases.holder('notifications', 1_950)).toMatchObject({ owner: 'two' });
    await b.leases.release('notifications', 'two');
    expect(await a.leases.tryAcquire('notifications', 'one', 1_960, 1_000)).toBe(true);
  });

  it('runs a leased role on one server at a time and hands it over at the next try when its holder closes', async () => {
    const [a, b] = await twoServers();
    const shared = { active: 0, most: 0 };
    const ttlMs = 6_000;
    const [roleA, roleB] = [new CountingRole(shared), new CountingRole(shared)];
    const leasedA = new LeasedRole({ name: 'github-statuses', owner: 'a', ttlMs, leases: a.leases, clock: systemClock, logger, role: roleA });
    const leasedB = new LeasedRole({ name: 'github-statuses', owner: 'b', ttlMs, leases: b.leases, clock: systemClock, logger, role: roleB });
    roles.push(leasedA, leasedB);
    await leasedA.start();
    await until('a runs the role', () => roleA.running);
    await leasedB.start();
    // b's first try happens at once and loses; it must not start the role while a holds the lease.
    await until('b has tried', async () => (await b.leases.holder('github-statuses', Date.now()))?.owner === 'a' && roleB.starts === 0);
    expect(leasedB.held).toBe(false);
    const closedAt = Date.now();
    await leasedA.close();
    expect(roleA).toMatchObject({ starts: 1, stops: 1, running: false });
    await until('b takes over', () => roleB.running, ttlMs);
    // Within b's next try (ttl/3), well before a's lease (renewed every 2 s) would have expired.
    expect(Date.now() - closedAt).toBeLessThan(ttlMs / 3 + 1_000);
    expect(shared.most).toBe(1);
  });

  it('takes a role over from a holder that died only once its lease has expired', async () => {
    const [a, b] = await twoServers();
    const ttlMs = 1_500;
    const diedAt = Date.now();
    // A server that took the lease and then died: it never renews and never releases.
    expect(await a.leases.tryAcquire('source-watcher', 'dead-server', diedAt, ttlMs)).toBe(true);
    const role = new CountingRole({ active: 0, most: 0 });
    const leased = new LeasedRole({ name: 'source-watcher', owner: 'b', ttlMs, leases: b.leases, clock: systemClock, logger, role });
    roles.push(leased);
    await leased.start();
    await until('b takes over', () => role.running, 10_000);
    const tookOverAt = Date.now();
    expect(tookOverAt).toBeGreaterThan(diedAt + ttlMs);
    expect(tookOverAt).toBeLessThan(diedAt + ttlMs + ttlMs / 3 + 1_000);
    expect((await a.leases.holder('source-watcher', Date.now()))?.owner).toBe('b');
  });

  it('stops the role when another server has taken the lease', async () => {
    const [a, b] = await twoServers();
    const role = new CountingRole({ active: 0, most: 0 });
    const leased = new LeasedRole({ name: 'notifications', owner: 'a', ttlMs: 900, leases: a.leases, clock: systemClock, logger, role });
    roles.push(leased);
    await leased.start();
    await until('a runs the role', () => role.running);
    // As if a's renewals had stalled past expiry and b had taken over meanwhile.
    await b.db.updateTable('leases').set({ owner: 'b', expires_at: Date.now() + 60_000 }).where('name', '=', 'notifications').execute();
    await until('a stops the role', () => !role.running, 5_000);
    expect(leased.held).toBe(false);
    expect(role).toMatchObject({ starts: 1, stops: 1 });
    await leased.close();
    expect((await b.leases.holder('notifications', Date.now()))?.owner).toBe('b');
  });
});
