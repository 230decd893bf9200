import pg from 'pg';
import { Kysely, PostgresDialect, sql, type Transaction } from 'kysely';
import type { StoreDialect } from '../dialect.js';
import type { Database } from '../schema.js';

/** int8 (ids, epoch-ms times, counts) and numeric (sums): the store reads them as numbers, as SQLite gives them. */
const INT8_OID = 20;
const NUMERIC_OID = 1700;

const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary'): (value: string) => unknown {
    if (oid === INT8_OID || oid === NUMERIC_OID) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format ?? 'text') as (value: string) => unknown;
  },
};

/** Pool size per server: the executor, the dispatcher, the API and LISTEN each hold one at times. */
const POOL_SIZE = 10;

/**
 * The scaled-out store: one PostgreSQL database shared by several servers. Ids are bigserial and
 * times epoch-milliseconds in bigint, so every repository reads the same numbers as on SQLite.
 */
export function postgresDialect(url: string): StoreDialect {
  return {
    name: 'postgres',
    idType: 'bigserial',
    timeType: 'bigint',
    idColumn: (col) => col.primaryKey(),
    url,
    open(): Kysely<Database> {
      const pool = new pg.Pool({ connectionString: url, max: POOL_SIZE, types });
      // An idle client losing its server (a restart, a failover) must not crash the process; the pool drops it.
      pool.on('error', () => undefined);
      return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    },
    async serialize(trx: Transaction<Database>, key: string): Promise<void> {
      // Held until the transaction ends; every server taking the same key waits its turn.
      await sql`select pg_advisory_xact_lock(hashtext(${key}))`.execute(trx);
    },
  };
}

/** True for what `--database` / GANTRY_DATABASE_URL may name as a Postgres database. */
export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}
