import { sql, type Kysely } from 'kysely';
import type { StoreDialect } from '../dialect.js';

/** Every column that holds another row's id, made before ids were bigserial on Postgres. */
const REFERENCES: ReadonlyArray<readonly [table: string, column: string]> = [
  ['steps', 'run_id'],
  ['step_logs', 'run_id'],
  ['step_logs', 'step_id'],
  ['releases', 'run_id'],
  ['artifacts', 'release_id'],
  ['deployments', 'release_id'],
  ['deployments', 'run_id'],
  ['approvals', 'run_id'],
  ['events', 'run_id'],
  ['gate_cache', 'run_id'],
  ['gate_cache', 'step_id'],
  ['env_locks', 'run_id'],
  ['notifications', 'event_id'],
  ['notifications', 'run_id'],
  ['notification_cursors', 'last_id'],
  ['load_results', 'run_id'],
  ['backups', 'run_id'],
  ['images', 'release_id'],
  ['image_pushes', 'run_id'],
];

/**
 * On Postgres, references to ids become bigint like the ids (bigserial) they name; earlier migrations
 * wrote them as `integer`, which is 32 bits there. SQLite's integers are 64 bits already: nothing to do.
 */
export async function up(db: Kysely<unknown>, dialect: StoreDialect): Promise<void> {
  if (dialect.name !== 'postgres') return;
  for (const [table, column] of REFERENCES) await sql`alter table ${sql.table(table)} alter column ${sql.ref(column)} type bigint`.execute(db);
}
