import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';

/** Who holds a named role, since when, and until when unless renewed. */
export interface Lease {
  readonly name: string;
  readonly owner: string;
  readonly acquiredAt: number;
  readonly expiresAt: number;
}

/**
 * Named leases: a role (the source watcher, the notification dispatcher …) that one server of
 * several on one database holds at a time. The holder renews before `expiresAt`; once that has
 * passed, any server may take it over. Each call is one statement, so two servers racing for a
 * lease can never both win it, on SQLite (one write lock) as on Postgres (the upsert's row lock).
 */
export class LeaseRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * Takes the lease, or renews it when `owner` holds it already; true iff `owner` holds it after the
   * call. The upsert writes (and returns) a row only when the lease is free, expired or ours;
   * `acquired_at` moves only when the owner changes, so it tells when the current holder took over.
   */
  async tryAcquire(name: string, owner: string, now: number, ttlMs: number): Promise<boolean> {
    const row = await this.db
      .insertInto('leases')
      .values({ name, owner, expires_at: now + ttlMs, acquired_at: now })
      .onConflict((oc) =>
        oc
          .column('name')
          .doUpdateSet((eb) => ({
            owner: eb.ref('excluded.owner'),
            expires_at: eb.ref('excluded.expires_at'),
            acquired_at: eb.case().when('leases.owner', '=', owner).then(eb.ref('leases.acquired_at')).else(eb.ref('excluded.acquired_at')).end(),
          }))
          .where((eb) => eb.or([eb('leases.expires_at', '<', now), eb('leases.owner', '=', owner)])),
      )
      .returning('owner')
      .executeTakeFirst();
    return row?.owner === owner;
  }

  /** Gives the lease up at once (a clean shutdown), so another server need not wait for it to expire. */
  async release(name: string, owner: string): Promise<void> {
    await this.db.deleteFrom('leases').where('name', '=', name).where('owner', '=', owner).execute();
  }

  /** The current holder, or undefined when nobody holds it (never taken, released or expired). */
  async holder(name: string, now: number): Promise<Lease | undefined> {
    const r = await this.db.selectFrom('leases').selectAll().where('name', '=', name).where('expires_at', '>=', now).executeTakeFirst();
    return r && { name: r.name, owner: r.owner, acquiredAt: Number(r.acquired_at), expiresAt: Number(r.expires_at) };
  }
}
