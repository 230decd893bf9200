import type { Kysely } from 'kysely';
import type { StoreDialect } from '../dialect.js';

/**
 * Multi-region environments (issue 15 item 3): a deployment names the region it went out to, so
 * each region has its own live revision and its own previous one to roll back to. '' is an
 * environment without regions (every row before this one). Revision numbers stay unique per
 * environment and service across regions (the `deployments_revision` constraint is unchanged), so
 * a revision number still names one deployment.
 */
export async function up(db: Kysely<unknown>, _dialect: StoreDialect): Promise<void> {
  await db.schema.alterTable('deployments').addColumn('region', 'text', (c) => c.notNull().defaultTo('')).execute();
}
