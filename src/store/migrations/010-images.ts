import type { Kysely } from 'kysely';
import type { StoreDialect } from '../dialect.js';

/**
 * Container images (issue 12):
 * - `images`: the image built once per release and service beside its bundle, with where it was
 *   pushed, what it was built on (`base_digest`), its SBOM's digest and the key of its build input
 *   (bundle digest + image config), so an unchanged service reuses the image instead of rebuilding;
 * - `image_pushes`: every tag Gantry pushed and the digest it named then (a registry does not keep
 *   a tag's history, and immutable tags are checked against it), and every copy to another registry.
 */
export async function up(db: Kysely<unknown>, dialect: StoreDialect): Promise<void> {
  const time = dialect.timeType;
  await db.schema
    .createTable('images')
    .addColumn('id', dialect.idType, (c) => dialect.idColumn(c))
    .addColumn('release_id', 'integer', (c) => c.notNull().references('releases.id'))
    .addColumn('service', 'text', (c) => c.notNull())
    .addColumn('registry', 'text', (c) => c.notNull())
    .addColumn('repository', 'text', (c) => c.notNull())
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('build_key', 'text', (c) => c.notNull())
    .addColumn('base_digest', 'text')
    .addColumn('sbom_digest', 'text')
    .addColumn('size', 'integer', (c) => c.notNull())
    .addColumn('created_at', time, (c) => c.notNull())
    .addUniqueConstraint('images_release_service', ['release_id', 'service'])
    .execute();
  await db.schema.createIndex('images_build_key').on('images').columns(['service', 'build_key']).execute();
  await db.schema
    .createTable('image_pushes')
    .addColumn('id', dialect.idType, (c) => dialect.idColumn(c))
    .addColumn('registry', 'text', (c) => c.notNull())
    .addColumn('repository', 'text', (c) => c.notNull())
    .addColumn('tag', 'text')
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('run_id', 'integer')
    .addColumn('pushed_at', time, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('image_pushes_digest').on('image_pushes').columns(['digest']).execute();
}
