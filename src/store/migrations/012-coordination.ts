import type { Kysely } from 'kysely';
import type { StoreDialect } from '../dialect.js';

/**
 * What several servers on one database need to do each piece of work once (issue 14):
 * - `leases`: a named role (the source watcher, the notification dispatcher …) held by one server
 *   until `expires_at`; the holder renews it, another server takes it over once it has expired;
 * - `notifications.claimed_by` / `claimed_until`: the server sending a delivery, so another one
 *   skips it until the claim runs out (its sender died);
 * - `steps.process_host`: the machine a step's process runs on, so only that machine stops an orphan.
 * One ALTER per column: SQLite takes one at a time.
 */
export async function up(db: Kysely<unknown>, dialect: StoreDialect): Promise<void> {
  const time = dialect.timeType;
  await db.schema
    .createTable('leases')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('owner', 'text', (c) => c.notNull())
    .addColumn('expires_at', time, (c) => c.notNull())
    .addColumn('acquired_at', time, (c) => c.notNull())
    .execute();
  await db.schema.alterTable('notifications').addColumn('claimed_by', 'text').execute();
  await db.schema.alterTable('notifications').addColumn('claimed_until', time).execute();
  await db.schema.alterTable('steps').addColumn('process_host', 'text').execute();
}
