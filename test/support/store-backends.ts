import { join } from 'node:path';
import { afterAll } from 'vitest';
import type { StoreDialect } from '../../src/store/dialect.js';
import { postgresDialect } from '../../src/store/postgres/postgres-dialect.js';
import { sqliteDialect } from '../../src/store/sqlite/sqlite-dialect.js';
import { startPostgres, type TestPostgres } from './postgres.js';

/** A store backend for `describe.each`: its name, and a fresh, empty database of it per call. */
export type StoreBackend = [name: string, fresh: (dir: string) => Promise<StoreDialect>];

/**
 * Every backend the store runs on: SQLite in a file, SQLite in memory, and a real PostgreSQL 15
 * cluster private to the test file (started at the first Postgres test, stopped after the file),
 * with a new database per test.
 */
export function storeBackends(): StoreBackend[] {
  let cluster: Promise<TestPostgres> | undefined;
  afterAll(async () => {
    if (cluster) await (await cluster).stop();
  });
  return [
    ['SQLite file', (dir) => Promise.resolve(sqliteDialect(join(dir, 'gantry.db')))],
    ['SQLite in memory', () => Promise.resolve(sqliteDialect(':memory:'))],
    ['PostgreSQL', async () => postgresDialect(await (await (cluster ??= startPostgres())).newDatabase())],
  ];
}
