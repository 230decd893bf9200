import type { Kysely, Selectable } from 'kysely';
import type { StoreDialect } from '../dialect.js';
import type { Database, TokenTable } from '../schema.js';

export interface TokenRecord {
  readonly id: number;
  readonly user: string;
  readonly email: string | null;
  readonly roles: readonly string[];
  readonly createdAt: number;
  readonly expiresAt: number | null;
  readonly revokedAt: number | null;
}

const toToken = (r: Selectable<TokenTable>): TokenRecord => ({
  id: Number(r.id),
  user: r.user_name,
  email: r.email,
  roles: JSON.parse(r.roles) as string[],
  createdAt: Number(r.created_at),
  expiresAt: r.expires_at === null ? null : Number(r.expires_at),
  revokedAt: r.revoked_at === null ? null : Number(r.revoked_at),
});

/** Tokens are stored as SHA-256 hashes only; the plain value is shown once, when it is made. */
export class TokenRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Pick<StoreDialect, 'serialize'>,
  ) {}

  /**
   * The first token, only when there is none: several servers starting at once on one database
   * take turns here, so exactly one of them makes (and shows) the bootstrap admin token.
   */
  async createIfNone(user: string, hash: string, roles: readonly string[], now: number): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      await this.dialect.serialize(trx, 'gantry.bootstrap-token');
      const r = await trx.selectFrom('tokens').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      if (Number(r.n) > 0) return false;
      await trx.insertInto('tokens').values({ user_name: user, email: null, hash, roles: JSON.stringify(roles), created_at: now, expires_at: null, revoked_at: null }).execute();
      return true;
    });
  }

  async count(): Promise<number> {
    const r = await this.db.selectFrom('tokens').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return Number(r.n);
  }

  async create(user: string, email: string | null, hash: string, roles: readonly string[], now: number, expiresAt: number | null): Promise<TokenRecord> {
    const r = await this.db
      .insertInto('tokens')
      .values({ user_name: user, email, hash, roles: JSON.stringify(roles), created_at: now, expires_at: expiresAt, revoked_at: null })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toToken(r);
  }

  async findActive(hash: string, now: number): Promise<TokenRecord | undefined> {
    const r = await this.db.selectFrom('tokens').selectAll().where('hash', '=', hash).where('revoked_at', 'is', null).executeTakeFirst();
    if (!r || (r.expires_at !== null && Number(r.expires_at) <= now)) return undefined;
    return toToken(r);
  }

  async list(): Promise<TokenRecord[]> {
    return (await this.db.selectFrom('tokens').selectAll().orderBy('id').execute()).map(toToken);
  }

  async revoke(id: number, now: number): Promise<boolean> {
    const r = await this.db.updateTable('tokens').set({ revoked_at: now }).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }
}
