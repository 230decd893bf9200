import { GantryError } from '../errors/index.js';
import type { StoreDialect } from '../store/dialect.js';
import { redactDatabaseUrl } from '../store/database-url.js';
import { Store } from '../store/store.js';


const errorCode = (error: unknown): string | undefined => (error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : undefined);

/**
 * Opens the store and migrates it. A Postgres database that cannot be reached or entered is a
 * DATABASE_UNREACHABLE naming the (redacted) address and why, rather than a driver's stack trace.
 */
export async function openStore(dialect: StoreDialect): Promise<Store> {
  try {
    return await Store.open(dialect);
  } catch (error: unknown) {
    if (dialect.name !== 'postgres' || !dialect.url) throw error;
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
    const code = errorCode(cause);
    // Connection-level failures (refused, unknown host, auth, no database) rather than a failed migration.
    if (!code || !/^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNRESET|28P01|28000|3D000|57P03)$/.test(code)) throw error;
    const why = cause instanceof Error ? cause.message : String(cause);
    throw new GantryError('DATABASE_UNREACHABLE', `cannot open the database ${redactDatabaseUrl(dialect.url)}: ${why}`, {
      cause: error,
      hint: 'Check that PostgreSQL runs and that --database (or GANTRY_DATABASE_URL) names its host, port, user, password and an existing database.',
    });
  }
}
