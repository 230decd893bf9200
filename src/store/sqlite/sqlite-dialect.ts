import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { StoreDialect } from '../dialect.js';
import type { Database } from '../schema.js';

/** The embedded default: one SQLite file in WAL mode, so readers never block the executor's writes. */
export function sqliteDialect(file: string): StoreDialect {
  return {
    name: 'sqlite',
    idType: 'integer',
    timeType: 'integer',
    idColumn: (col) => col.primaryKey().autoIncrement(),
    // The first write of a transaction takes the database's one write lock, so appends already take turns.
    serialize: () => Promise.resolve(),
    open(): Kysely<Database> {
      const db = new BetterSqlite3(file);
      db.pragma('journal_mode = WAL');
      // NORMAL is durable across process crashes in WAL mode (only an OS crash can lose the last commit).
      db.pragma('synchronous = NORMAL');
      db.pragma('busy_timeout = 5000');
      db.pragma('foreign_keys = ON');
      return new Kysely<Database>({ dialect: new SqliteDialect({ database: db }) });
    },
  };
}
