import type { Kysely } from 'kysely';
import type { StoreDialect } from '../dialect.js';

/**
 * A deployment records what it deployed (issue 11 item 1), so finalize, rollback, a manual rollback
 * to it, a backup and its restore read the record instead of today's gantry.yaml or another run's
 * steps:
 * - `strategy_config`: the strategy config in force (JSON); `strategy` keeps the kind for history;
 * - `target`: the target name the revision runs on;
 * - `spec`: the revision's DeployedSpec (JSON): command, env without secret values, secret names,
 *   replicas, health, smoke checks;
 * - `progress`: the RolloutProgress (JSON) the strategy stores after each pass.
 * All nullable: rows written before this migration have none (readers fall back, see
 * src/steps/support/strategy-context.ts). One ALTER per column: SQLite takes one at a time.
 */
export async function up(db: Kysely<unknown>, _dialect: StoreDialect): Promise<void> {
  for (const column of ['strategy_config', 'target', 'spec', 'progress']) {
    await db.schema.alterTable('deployments').addColumn(column, 'text').execute();
  }
}
