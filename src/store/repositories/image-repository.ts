import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';

export interface ImageRecord {
  readonly id: number;
  readonly releaseId: number;
  readonly release: string;
  readonly service: string;
  /** Name of the registry (gantry.yaml `registries`) the image was built into. */
  readonly registry: string;
  readonly repository: string;
  readonly digest: string;
  readonly kind: 'assemble' | 'dockerfile';
  readonly buildKey: string;
  readonly baseDigest: string | null;
  readonly sbomDigest: string | null;
  readonly size: number;
  readonly createdAt: number;
}

export interface ImagePush {
  readonly registry: string;
  readonly repository: string;
  /** null: the image was copied by digest (promotion to another registry). */
  readonly tag: string | null;
  readonly digest: string;
  readonly runId: number | null;
  readonly pushedAt: number;
}

type ImageRow = { id: number; release_id: number; sha: string; service: string; registry: string; repository: string; digest: string; kind: string; build_key: string; base_digest: string | null; sbom_digest: string | null; size: number; created_at: number };

/** The image of each release and service, found again by its build input; and every push Gantry made. */
export class ImageRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async add(i: Omit<ImageRecord, 'id' | 'release'>): Promise<void> {
    await this.db
      .insertInto('images')
      .values({ release_id: i.releaseId, service: i.service, registry: i.registry, repository: i.repository, digest: i.digest, kind: i.kind, build_key: i.buildKey, base_digest: i.baseDigest, sbom_digest: i.sbomDigest, size: i.size, created_at: i.createdAt })
      .onConflict((oc) => oc.columns(['release_id', 'service']).doNothing())
      .execute();
  }

  private base() {
    return this.db
      .selectFrom('images')
      .innerJoin('releases', 'releases.id', 'images.release_id')
      .select(['images.id', 'images.release_id', 'releases.sha', 'images.service', 'images.registry', 'images.repository', 'images.digest', 'images.kind', 'images.build_key', 'images.base_digest', 'images.sbom_digest', 'images.size', 'images.created_at']);
  }

  private static map(r: ImageRow): ImageRecord {
    return {
      id: Number(r.id),
      releaseId: Number(r.release_id),
      release: r.sha,
      service: r.service,
      registry: r.registry,
      repository: r.repository,
      digest: r.digest,
      kind: r.kind === 'dockerfile' ? 'dockerfile' : 'assemble',
      buildKey: r.build_key,
      baseDigest: r.base_digest,
      sbomDigest: r.sbom_digest,
      size: Number(r.size),
      createdAt: Number(r.created_at),
    };
  }

  async forRelease(releaseId: number, service: string): Promise<ImageRecord | undefined> {
    const r = await this.base().where('images.release_id', '=', releaseId).where('images.service', '=', service).executeTakeFirst();
    return r && ImageRepository.map(r);
  }

  /** An image already built from the same input (any release): reused, never rebuilt. */
  async byBuildKey(service: string, buildKey: string): Promise<ImageRecord | undefined> {
    const r = await this.base().where('images.service', '=', service).where('images.build_key', '=', buildKey).orderBy('images.id', 'asc').executeTakeFirst();
    return r && ImageRepository.map(r);
  }

  async recordPush(p: ImagePush): Promise<void> {
    await this.db.insertInto('image_pushes').values({ registry: p.registry, repository: p.repository, tag: p.tag, digest: p.digest, run_id: p.runId, pushed_at: p.pushedAt }).execute();
  }

  async pushesOf(digest: string): Promise<ImagePush[]> {
    const rows = await this.db.selectFrom('image_pushes').selectAll().where('digest', '=', digest).orderBy('id').execute();
    return rows.map((r) => ({ registry: r.registry, repository: r.repository, tag: r.tag, digest: r.digest, runId: r.run_id === null ? null : Number(r.run_id), pushedAt: Number(r.pushed_at) }));
  }
}
