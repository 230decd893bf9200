import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';

export interface BranchHead {
  readonly branch: string;
  readonly sha: string;
  readonly lastGreenSha: string | null;
  readonly updatedAt: number;
}

/** The heads the source watcher has seen, so a restart does not trigger old pushes again. */
export class BranchRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async all(): Promise<BranchHead[]> {
    const rows = await this.db.selectFrom('branch_heads').selectAll().orderBy('branch').execute();
    return rows.map((r) => ({ branch: r.branch, sha: r.sha, lastGreenSha: r.last_green_sha, updatedAt: Number(r.updated_at) }));
  }

  async get(branch: string): Promise<BranchHead | undefined> {
    return (await this.all()).find((b) => b.branch === branch);
  }

  async setHead(branch: string, sha: string, now: number): Promise<void> {
    await this.db
      .insertInto('branch_heads')
      .values({ branch, sha, last_green_sha: null, updated_at: now })
      .onConflict((oc) => oc.column('branch').doUpdateSet({ sha, updated_at: now }))
      .execute();
  }

  async setGreen(branch: string, sha: string, now: number): Promise<void> {
    await this.db
      .insertInto('branch_heads')
      .values({ branch, sha, last_green_sha: sha, updated_at: now })
      .onConflict((oc) => oc.column('branch').doUpdateSet({ last_green_sha: sha, updated_at: now }))
      .execute();
  }

  async remove(branch: string): Promise<void> {
    await this.db.deleteFrom('branch_heads').where('branch', '=', branch).execute();
  }
}
