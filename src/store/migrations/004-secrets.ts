import type { Kysely } from 'kysely';
import type { StoreDialect } from '../dialect.js';

/**
 * The encrypted secret store. One row per version of a secret; a value exists only sealed
 * (AES-256-GCM: `ciphertext` with its tag, `nonce`, and the `key_id` of the master key).
 * `scope` is `shared` or an environment name; a removed secret keeps its rows, with `deleted_at`.
 */
export async function up(db: Kysely<unknown>, dialect: StoreDialect): Promise<void> {
  const time = dialect.timeType;
  await db.schema
    .createTable('secrets')
    .addColumn('id', dialect.idType, (c) => dialect.idColumn(c))
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('ciphertext', 'text', (c) => c.notNull())
    .addColumn('nonce', 'text', (c) => c.notNull())
    .addColumn('key_id', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', time, (c) => c.notNull())
    .addColumn('deleted_at', time)
    .execute();
  await db.schema.createIndex('secrets_scope_name_version').unique().on('secrets').columns(['scope', 'name', 'version']).execute();
}
