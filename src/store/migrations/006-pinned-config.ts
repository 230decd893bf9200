import type { Kysely } from 'kysely';
import type { StoreDialect } from '../dialect.js';

/**
 * Where the server's pinned gantry.yaml came from (DESIGN.md invariant 9), one row per change:
 * - `source = 'file'`: the `--config` file's content, recorded when a start finds it different
 *   from the last one recorded (so the next start can tell, and audit, a change);
 * - `source = 'commit'`: a commit's gantry.yaml whose guard rules an admin accepted.
 * The newest row decides which rules a start uses (src/engine/pinned-config.ts). Only the text of
 * gantry.yaml is kept; it names secrets, never holds their values.
 */
export async function up(db: Kysely<unknown>, dialect: StoreDialect): Promise<void> {
  await db.schema
    .createTable('pinned_configs')
    .addColumn('id', dialect.idType, (c) => dialect.idColumn(c))
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('sha', 'text')
    .addColumn('path', 'text', (c) => c.notNull())
    .addColumn('content_hash', 'text', (c) => c.notNull())
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('created_at', dialect.timeType, (c) => c.notNull())
    .execute();
}
