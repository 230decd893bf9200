import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';

export interface TokenRecord {
  readonly id: number;
  readonly name: string;
  readonly role: string;
  readonly createdAt: number;
  readonly expiresAt: number | null;
  readonly revokedAt: number | null;
}

/** Tokens are stored as SHA-256 hashes only; the plain value is shown once, when it is made. */
export class TokenRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async count(): Promise<number> {
    const r = await this.db.selectFrom('tokens').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return Number(r.n);
  }

  async create(name: string, hash: string, role: string, now: number, expiresAt: number | null): Promise<TokenRecord> {
    const r = await this.db
      .insertInto('tokens')
      .values({ name, hash, role, created_at: now, expires_at: expiresAt, revoked_at: null })
      .returningAll()
      .executeTakeFirstOrThrow();
    return { id: Number(r.id), name: r.name, role: r.role, createdAt: Number(r.created_at), expiresAt: r.expires_at, revokedAt: r.revoked_at };
  }

  async findActive(hash: string, now: number): Promise<TokenRecord | undefined> {
    const r = await this.db.selectFrom('tokens').selectAll().where('hash', '=', hash).where('revoked_at', 'is', null).executeTakeFirst();
    if (!r || (r.expires_at !== null && Number(r.expires_at) <= now)) return undefined;
    return { id: Number(r.id), name: r.name, role: r.role, createdAt: Number(r.created_at), expiresAt: r.expires_at, revokedAt: r.revoked_at };
  }
}
