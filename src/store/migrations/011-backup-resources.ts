import type { Kysely } from 'kysely';
import type { StoreDialect } from '../dialect.js';

/**
 * A backup keeps the objects its target manages (issue 13 item 5: a Kubernetes target's
 * Deployments, Services, ConfigMaps as YAML; Secrets by name and version only):
 * - `resources_yaml`: the multi-document YAML stream `kubectl apply -f` accepts;
 * - `resources_objects`: kind/name of each object (JSON array), for listings without the YAML.
 * Both null for a backup of a target that has none (local, docker) and for rows written before.
 * One ALTER per column: SQLite takes one at a time.
 */
export async function up(db: Kysely<unknown>, _dialect: StoreDialect): Promise<void> {
  for (const column of ['resources_yaml', 'resources_objects']) {
    await db.schema.alterTable('backups').addColumn(column, 'text').execute();
  }
}
