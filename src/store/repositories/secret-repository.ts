import type { Generated, Kysely, Selectable } from 'kysely';
import type { Database } from '../schema.js';

/** The `secrets` table (migration 004); declared here, where it is the only one read or written. */
export interface SecretTable {
  id: Generated<number>;
  /** `shared` or an environment name. */
  scope: string;
  name: string;
  version: number;
  /** base64: AES-256-GCM ciphertext with its 16-byte tag appended. */
  ciphertext: string;
  /** base64 of the 96-bit nonce. */
  nonce: string;
  key_id: string;
  created_by: string;
  created_at: number;
  deleted_at: number | null;
}

interface SecretsDatabase {
  secrets: SecretTable;
}

export interface SecretRow {
  readonly id: number;
  readonly scope: string;
  readonly name: string;
  readonly version: number;
  readonly ciphertext: string;
  readonly nonce: string;
  readonly keyId: string;
  readonly createdBy: string;
  readonly createdAt: number;
  readonly deletedAt: number | null;
}

export type NewSecretRow = Omit<SecretRow, 'id' | 'deletedAt'>;

const toRow = (r: Selectable<SecretTable>): SecretRow => ({
  id: Number(r.id),
  scope: r.scope,
  name: r.name,
  version: Number(r.version),
  ciphertext: r.ciphertext,
  nonce: r.nonce,
  keyId: r.key_id,
  createdBy: r.created_by,
  createdAt: Number(r.created_at),
  deletedAt: r.deleted_at === null ? null : Number(r.deleted_at),
});

/** Sealed secret versions; this repository never sees a plain value. */
export class SecretRepository {
  private readonly db: Kysely<SecretsDatabase>;

  constructor(db: Kysely<Database>) {
    // The table is not part of `Database` (schema.ts) so that this feature stays in its own files.
    this.db = db as unknown as Kysely<SecretsDatabase>;
  }

  /** The newest version of every secret that is not removed. */
  async current(): Promise<SecretRow[]> {
    const rows = await this.db.selectFrom('secrets').selectAll().where('deleted_at', 'is', null).orderBy('scope').orderBy('name').orderBy('version', 'desc').execute();
    const seen = new Set<string>();
    const out: SecretRow[] = [];
    for (const r of rows) {
      const key = `${r.scope}\u0000${r.name}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(toRow(r));
    }
    return out;
  }

  /** Versions keep counting across removals, so a version number is never reused. */
  async nextVersion(scope: string, name: string): Promise<number> {
    const r = await this.db.selectFrom('secrets').select((eb) => eb.fn.max('version').as('v')).where('scope', '=', scope).where('name', '=', name).executeTakeFirst();
    return Number(r?.v ?? 0) + 1;
  }

  async insert(row: NewSecretRow): Promise<SecretRow> {
    const r = await this.db
      .insertInto('secrets')
      .values({ scope: row.scope, name: row.name, version: row.version, ciphertext: row.ciphertext, nonce: row.nonce, key_id: row.keyId, created_by: row.createdBy, created_at: row.createdAt, deleted_at: null })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toRow(r);
  }

  /** Removes every version; returns how many were live. */
  async remove(scope: string, name: string, now: number): Promise<number> {
    const r = await this.db.updateTable('secrets').set({ deleted_at: now }).where('scope', '=', scope).where('name', '=', name).where('deleted_at', 'is', null).executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

  /** Rewrites the envelope of every row, removed ones and old versions included, in one transaction. */
  async reseal(rewrite: (row: SecretRow) => { ciphertext: string; nonce: string; keyId: string }): Promise<number> {
    return this.db.transaction().execute(async (trx) => {
      const rows = (await trx.selectFrom('secrets').selectAll().orderBy('id').execute()).map(toRow);
      for (const row of rows) {
        const sealed = rewrite(row);
        await trx.updateTable('secrets').set({ ciphertext: sealed.ciphertext, nonce: sealed.nonce, key_id: sealed.keyId }).where('id', '=', row.id).execute();
      }
      return rows.length;
    });
  }

  async all(): Promise<SecretRow[]> {
    return (await this.db.selectFrom('secrets').selectAll().orderBy('id').execute()).map(toRow);
  }
}
