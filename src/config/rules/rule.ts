import type { Finding } from '../issues.js';
import type { GantryConfigParsed } from '../schema.js';

/**
 * A named semantic rule. Rules run only on a structurally valid config (the zod output), and each
 * returns findings whose paths point at the node to blame; the loader turns paths into line:col.
 */
export interface ConfigRule {
  readonly name: string;
  check(config: GantryConfigParsed): Finding[];
}
