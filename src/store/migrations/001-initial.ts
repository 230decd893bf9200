import type { Kysely } from 'kysely';
import type { StoreDialect } from '../dialect.js';

/** The first schema: runs and their steps and logs, releases, deployments, approvals, events, caches, locks. */
export async function up(db: Kysely<unknown>, dialect: StoreDialect): Promise<void> {
  const id = dialect.idType;
  const time = dialect.timeType;

  await db.schema
    .createTable('runs')
    .addColumn('id', id, (c) => dialect.idColumn(c))
    .addColumn('trigger', 'text', (c) => c.notNull())
    .addColumn('branch', 'text')
    .addColumn('ref', 'text', (c) => c.notNull())
    .addColumn('sha', 'text', (c) => c.notNull())
    .addColumn('base_sha', 'text')
    .addColumn('environment', 'text')
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('notes', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('author', 'text')
    .addColumn('triggered_by', 'text', (c) => c.notNull())
    .addColumn('commit_message', 'text')
    .addColumn('commit_time', time)
    .addColumn('config_json', 'text')
    .addColumn('error_json', 'text')
    .addColumn('cancel_requested', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', time, (c) => c.notNull())
    .addColumn('started_at', time)
    .addColumn('finished_at', time)
    .execute();
  await db.schema.createIndex('runs_state').on('runs').column('state').execute();

  await db.schema
    .createTable('steps')
    .addColumn('id', id, (c) => dialect.idColumn(c))
    .addColumn('run_id', 'integer', (c) => c.notNull().references('runs.id').onDelete('cascade'))
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('service', 'text')
    .addColumn('environment', 'text')
    .addColumn('needs_json', 'text', (c) => c.notNull())
    .addColumn('run_when', 'text', (c) => c.notNull().defaultTo('success'))
    .addColumn('spec_json', 'text', (c) => c.notNull())
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('message', 'text')
    .addColumn('attempt', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('max_attempts', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('not_before', time, (c) => c.notNull().defaultTo(0))
    .addColumn('lease_owner', 'text')
    .addColumn('lease_expires_at', time)
    .addColumn('pid', 'integer')
    .addColumn('cached', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('summary_json', 'text')
    .addColumn('error_json', 'text')
    .addColumn('started_at', time)
    .addColumn('finished_at', time)
    .addUniqueConstraint('steps_run_key', ['run_id', 'key'])
    .execute();

  await db.schema
    .createTable('step_logs')
    .addColumn('id', id, (c) => dialect.idColumn(c))
    .addColumn('run_id', 'integer', (c) => c.notNull().references('runs.id').onDelete('cascade'))
    .addColumn('step_id', 'integer', (c) => c.notNull().references('steps.id').onDelete('cascade'))
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .addColumn('stream', 'text', (c) => c.notNull())
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('at', time, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('step_logs_step').on('step_logs').columns(['step_id', 'id']).execute();

  await db.schema
    .createTable('releases')
    .addColumn('id', id, (c) => dialect.idColumn(c))
    .addColumn('sha', 'text', (c) => c.notNull().unique())
    .addColumn('run_id', 'integer')
    .addColumn('committed_at', time)
    .addColumn('created_at', time, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('artifacts')
    .addColumn('id', id, (c) => dialect.idColumn(c))
    .addColumn('release_id', 'integer', (c) => c.notNull().references('releases.id'))
    .addColumn('service', 'text', (c) => c.notNull())
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('layer_digest', 'text', (c) => c.notNull())
    .addColumn('tree_key', 'text', (c) => c.notNull())
    .addColumn('size', 'integer', (c) => c.notNull())
    .addColumn('created_at', time, (c) => c.notNull())
    .addUniqueConstraint('artifacts_release_service', ['release_id', 'service'])
    .execute();
  await db.schema.createIndex('artifacts_tree').on('artifacts').columns(['service', 'tree_key']).execute();

  await db.schema
    .createTable('deployments')
    .addColumn('id', id, (c) => dialect.idColumn(c))
    .addColumn('environment', 'text', (c) => c.notNull())
    .addColumn('service', 'text', (c) => c.notNull())
    .addColumn('release_id', 'integer', (c) => c.notNull().references('releases.id'))
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('revision', 'integer', (c) => c.notNull())
    .addColumn('previous_revision', 'integer')
    .addColumn('strategy', 'text', (c) => c.notNull())
    .addColumn('run_id', 'integer')
    .addColumn('triggered_by', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('created_at', time, (c) => c.notNull())
    .addColumn('finished_at', time)
    .addUniqueConstraint('deployments_revision', ['environment', 'service', 'revision'])
    .execute();

  await db.schema
    .createTable('approvals')
    .addColumn('id', id, (c) => dialect.idColumn(c))
    .addColumn('run_id', 'integer', (c) => c.notNull().references('runs.id'))
    .addColumn('environment', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('user_name', 'text', (c) => c.notNull())
    .addColumn('decision', 'text', (c) => c.notNull())
    .addColumn('comment', 'text')
    .addColumn('created_at', time, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('events')
    .addColumn('id', id, (c) => dialect.idColumn(c))
    .addColumn('at', time, (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('run_id', 'integer')
    .addColumn('data_json', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('gate_cache')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('service', 'text', (c) => c.notNull())
    .addColumn('gate', 'text', (c) => c.notNull())
    .addColumn('run_id', 'integer', (c) => c.notNull())
    .addColumn('step_id', 'integer', (c) => c.notNull())
    .addColumn('summary_json', 'text')
    .addColumn('created_at', time, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('env_locks')
    .addColumn('environment', 'text', (c) => c.primaryKey())
    .addColumn('run_id', 'integer', (c) => c.notNull())
    .addColumn('acquired_at', time, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('branch_heads')
    .addColumn('branch', 'text', (c) => c.primaryKey())
    .addColumn('sha', 'text', (c) => c.notNull())
    .addColumn('last_green_sha', 'text')
    .addColumn('updated_at', time, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('tokens')
    .addColumn('id', id, (c) => dialect.idColumn(c))
    .addColumn('user_name', 'text', (c) => c.notNull())
    .addColumn('email', 'text')
    .addColumn('hash', 'text', (c) => c.notNull().unique())
    .addColumn('roles', 'text', (c) => c.notNull())
    .addColumn('created_at', time, (c) => c.notNull())
    .addColumn('expires_at', time)
    .addColumn('revoked_at', time)
    .execute();

  // Notification deliveries (an outbox: planned rows are sent, retried and resumed after a restart).
  await db.schema
    .createTable('notifications')
    .addColumn('id', id, (c) => dialect.idColumn(c))
    .addColumn('event_id', 'integer')
    .addColumn('run_id', 'integer')
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('event', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .addColumn('delivery_id', 'text', (c) => c.notNull().unique())
    .addColumn('dedup_key', 'text')
    .addColumn('external_ref', 'text')
    .addColumn('payload_json', 'text', (c) => c.notNull())
    .addColumn('created_at', time, (c) => c.notNull())
    .addColumn('delivered_at', time)
    .execute();
  await db.schema.createIndex('notifications_status').on('notifications').columns(['status', 'id']).execute();
  await db.schema.createIndex('notifications_run').on('notifications').column('run_id').execute();
  await db.schema.createIndex('notifications_dedup').on('notifications').columns(['dedup_key', 'channel']).execute();

  await db.schema
    .createTable('notification_cursors')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('last_id', 'integer', (c) => c.notNull())
    .addColumn('last_at', time, (c) => c.notNull())
    .execute();

  // DORA reads one environment's deployments created in a window (store/repositories/dora-repository.ts).
  await db.schema.createIndex('deployments_environment_created').on('deployments').columns(['environment', 'created_at']).execute();
}
