import type { Kysely } from 'kysely';

/**
 * Every author of the commits a run brings in (base..sha, JSON array of "Name <email>"), so
 * "never the author" (DESIGN invariant 5) covers each of them, not only the head commit's author.
 * Runs from before this migration keep NULL and are judged by `author` alone. The index serves
 * the pre-receive hook, which looks up the runs of a merged head to judge required checks.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('runs').addColumn('authors_json', 'text').execute();
  await db.schema.createIndex('runs_sha').on('runs').column('sha').execute();
}
