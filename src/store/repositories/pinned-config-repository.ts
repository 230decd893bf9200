import type { Generated, Kysely, Selectable } from 'kysely';
import type { Database } from '../schema.js';

/** The `pinned_configs` table (migration 006); declared here, where it is the only one read or written. */
interface PinnedConfigTable {
  id: Generated<number>;
  /** `file` (the --config file's content at a start) or `commit` (an accepted commit's gantry.yaml). */
  source: string;
  sha: string | null;
  /** The --config file, or the path of gantry.yaml in the repository. */
  path: string;
  /** `sha256:<hex>` of `text`. */
  content_hash: string;
  text: string;
  /** `server` for a file row, the admin for an accepted commit. */
  actor: string;
  reason: string | null;
  created_at: number;
}

interface PinnedConfigDatabase {
  pinned_configs: PinnedConfigTable;
}

export type PinnedSource = 'file' | 'commit';

export interface PinnedConfigRow {
  readonly id: number;
  readonly source: PinnedSource;
  readonly sha: string | null;
  readonly path: string;
  readonly contentHash: string;
  readonly text: string;
  readonly actor: string;
  readonly reason: string | null;
  readonly createdAt: number;
}

export type NewPinnedConfigRow = Omit<PinnedConfigRow, 'id'>;

const toRow = (r: Selectable<PinnedConfigTable>): PinnedConfigRow => ({
  id: Number(r.id),
  source: r.source === 'commit' ? 'commit' : 'file',
  sha: r.sha,
  path: r.path,
  contentHash: r.content_hash,
  text: r.text,
  actor: r.actor,
  reason: r.reason,
  createdAt: Number(r.created_at),
});

/** The history of the pinned config: rows are only ever added. */
export class PinnedConfigRepository {
  private readonly db: Kysely<PinnedConfigDatabase>;

  constructor(db: Kysely<Database>) {
    // Not part of `Database` (store/schema.ts) so that this feature stays in its own files.
    this.db = db as unknown as Kysely<PinnedConfigDatabase>;
  }

  async add(row: NewPinnedConfigRow): Promise<PinnedConfigRow> {
    const r = await this.db
      .insertInto('pinned_configs')
      .values({ source: row.source, sha: row.sha, path: row.path, content_hash: row.contentHash, text: row.text, actor: row.actor, reason: row.reason, created_at: row.createdAt })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toRow(r);
  }

  /** The newest row, or the newest of one source. */
  async latest(source?: PinnedSource): Promise<PinnedConfigRow | undefined> {
    let q = this.db.selectFrom('pinned_configs').selectAll().orderBy('id', 'desc').limit(1);
    if (source) q = q.where('source', '=', source);
    const r = await q.executeTakeFirst();
    return r ? toRow(r) : undefined;
  }
}
