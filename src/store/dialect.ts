import type { ColumnDefinitionBuilder, Kysely, Transaction } from 'kysely';
import type { Database } from './schema.js';

/**
 * What differs between store backends. Everything outside a dialect folder writes portable
 * Kysely queries; the few spots where SQL dialects disagree ask the dialect instead.
 */
export interface StoreDialect {
  readonly name: 'sqlite' | 'postgres';
  /** Opens the database; the caller owns `destroy()`. */
  open(): Kysely<Database>;
  /** The column type and modifiers of an auto-incrementing integer primary key. */
  readonly idType: 'integer' | 'bigserial';
  idColumn(col: ColumnDefinitionBuilder): ColumnDefinitionBuilder;
  /** The type of an epoch-milliseconds column. */
  readonly timeType: 'integer' | 'bigint';
  /** The connection URL of a server database (Postgres); undefined for an embedded file. */
  readonly url?: string;
  /**
   * Makes transactions that call it with the same key run one after another across every server on
   * the database (the audit chain's appends). SQLite needs nothing: a write transaction locks the file.
   */
  serialize(trx: Transaction<Database>, key: string): Promise<void>;
}
