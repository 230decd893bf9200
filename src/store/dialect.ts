import type { ColumnDefinitionBuilder, Kysely } from 'kysely';
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
  readonly idType: 'integer' | 'serial';
  idColumn(col: ColumnDefinitionBuilder): ColumnDefinitionBuilder;
  /** The type of an epoch-milliseconds column. */
  readonly timeType: 'integer' | 'bigint';
}
