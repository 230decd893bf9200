import type { Kysely } from 'kysely';
import type { StoreDialect } from '../dialect.js';

/** Load-test results (the baselines a release is compared with) and environment backups. */
export async function up(db: Kysely<unknown>, dialect: StoreDialect): Promise<void> {
  const time = dialect.timeType;
  await db.schema
    .createTable('load_results')
    .addColumn('id', dialect.idType, (c) => dialect.idColumn(c))
    .addColumn('environment', 'text', (c) => c.notNull())
    .addColumn('service', 'text', (c) => c.notNull())
    .addColumn('release', 'text', (c) => c.notNull())
    .addColumn('run_id', 'integer', (c) => c.notNull())
    .addColumn('figures_json', 'text', (c) => c.notNull())
    .addColumn('passed', 'integer', (c) => c.notNull())
    .addColumn('created_at', time, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('load_results_env_service').on('load_results').columns(['environment', 'service', 'id']).execute();

  await db.schema
    .createTable('backups')
    .addColumn('id', dialect.idType, (c) => dialect.idColumn(c))
    .addColumn('environment', 'text', (c) => c.notNull())
    .addColumn('run_id', 'integer')
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('snapshot_json', 'text', (c) => c.notNull())
    .addColumn('created_at', time, (c) => c.notNull())
    .addColumn('expires_at', time, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('backups_env').on('backups').columns(['environment', 'id']).execute();
}
