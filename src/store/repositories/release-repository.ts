import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';

export interface ArtifactRecord {
  readonly id: number;
  readonly releaseId: number;
  readonly release: string;
  readonly service: string;
  readonly digest: string;
  readonly layerDigest: string;
  readonly treeKey: string;
  readonly size: number;
  readonly createdAt: number;
}

/** A release is the set of artifacts built once from one commit; artifacts are found again by content. */
export class ReleaseRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** The release of a commit, made on first use (idempotent). */
  async ensure(sha: string, runId: number, now: number, committedAt: number | null = null): Promise<number> {
    await this.db.insertInto('releases').values({ sha, run_id: runId, committed_at: committedAt, created_at: now }).onConflict((oc) => oc.column('sha').doNothing()).execute();
    const row = await this.db.selectFrom('releases').select('id').where('sha', '=', sha).executeTakeFirstOrThrow();
    return Number(row.id);
  }

  async addArtifact(a: Omit<ArtifactRecord, 'id' | 'release'>): Promise<void> {
    await this.db
      .insertInto('artifacts')
      .values({ release_id: a.releaseId, service: a.service, digest: a.digest, layer_digest: a.layerDigest, tree_key: a.treeKey, size: a.size, created_at: a.createdAt })
      .onConflict((oc) => oc.columns(['release_id', 'service']).doNothing())
      .execute();
  }

  private base() {
    return this.db
      .selectFrom('artifacts')
      .innerJoin('releases', 'releases.id', 'artifacts.release_id')
      .select(['artifacts.id', 'artifacts.release_id', 'releases.sha', 'artifacts.service', 'artifacts.digest', 'artifacts.layer_digest', 'artifacts.tree_key', 'artifacts.size', 'artifacts.created_at']);
  }

  private static map(r: { id: number; release_id: number; sha: string; service: string; digest: string; layer_digest: string; tree_key: string; size: number; created_at: number }): ArtifactRecord {
    return { id: Number(r.id), releaseId: Number(r.release_id), release: r.sha, service: r.service, digest: r.digest, layerDigest: r.layer_digest, treeKey: r.tree_key, size: Number(r.size), createdAt: Number(r.created_at) };
  }

  /** An artifact already built from identical service content (any commit): reused, never rebuilt. */
  async byTree(service: string, treeKey: string): Promise<ArtifactRecord | undefined> {
    const r = await this.base().where('artifacts.service', '=', service).where('artifacts.tree_key', '=', treeKey).orderBy('artifacts.id', 'asc').executeTakeFirst();
    return r && ReleaseRepository.map(r);
  }

  async forRelease(sha: string): Promise<ArtifactRecord[]> {
    return (await this.base().where('releases.sha', '=', sha).orderBy('artifacts.service').execute()).map(ReleaseRepository.map);
  }

  /** Releases whose sha starts with the given prefix (users type short shas). */
  async findReleases(prefix: string): Promise<string[]> {
    const rows = await this.db.selectFrom('releases').select('sha').where('sha', 'like', `${prefix.replace(/[%_]/g, '')}%`).limit(5).execute();
    return rows.map((r) => r.sha);
  }
}
