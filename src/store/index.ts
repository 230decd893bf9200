export { Store } from './store.js';
export type { StoreDialect } from './dialect.js';
export { sqliteDialect } from './sqlite/sqlite-dialect.js';
