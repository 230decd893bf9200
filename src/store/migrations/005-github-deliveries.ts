import type { Kysely } from 'kysely';
import type { StoreDialect } from '../dialect.js';

/**
 * What the GitHub webhook (src/sources/github/) remembers:
 * - `github_deliveries`: every accepted `X-GitHub-Delivery` id, so a replayed delivery changes nothing;
 * - `github_pull_requests`: one row per pull request (its head sha, author, and merge commit once merged);
 * - `github_reviews`: one row per submitted review; the latest review of each reviewer counts.
 */
export async function up(db: Kysely<unknown>, dialect: StoreDialect): Promise<void> {
  const time = dialect.timeType;
  await db.schema
    .createTable('github_deliveries')
    .addColumn('delivery_id', 'text', (c) => c.primaryKey())
    .addColumn('event', 'text', (c) => c.notNull())
    .addColumn('received_at', time, (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('github_pull_requests')
    .addColumn('repo', 'text', (c) => c.notNull())
    .addColumn('number', 'integer', (c) => c.notNull())
    .addColumn('author', 'text', (c) => c.notNull())
    .addColumn('head_sha', 'text', (c) => c.notNull())
    .addColumn('base_ref', 'text', (c) => c.notNull())
    .addColumn('merged_sha', 'text')
    .addColumn('updated_at', time, (c) => c.notNull())
    .addPrimaryKeyConstraint('github_pull_requests_pk', ['repo', 'number'])
    .execute();
  await db.schema.createIndex('github_pull_requests_merged_sha').on('github_pull_requests').column('merged_sha').execute();
  await db.schema
    .createTable('github_reviews')
    .addColumn('repo', 'text', (c) => c.notNull())
    .addColumn('number', 'integer', (c) => c.notNull())
    .addColumn('review_id', 'bigint', (c) => c.notNull())
    .addColumn('reviewer', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('commit_sha', 'text')
    .addColumn('submitted_at', time, (c) => c.notNull())
    .addPrimaryKeyConstraint('github_reviews_pk', ['repo', 'review_id'])
    .execute();
}
