import type { Kysely } from 'kysely';
import type { StoreDialect } from '../dialect.js';

/**
 * GitHub's own `updated_at` of each pull request, as the newest delivery about it said (epoch ms):
 * a delivery whose pull request is older than this is refused, so a captured event re-sent with a
 * new delivery id cannot roll a pull request back. Null for rows written before this column.
 */
export async function up(db: Kysely<unknown>, dialect: StoreDialect): Promise<void> {
  await db.schema.alterTable('github_pull_requests').addColumn('github_updated_at', dialect.timeType).execute();
}
