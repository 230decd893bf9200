import { fastParse } from './fast-yaml.js';
import { normalizeConfig } from './normalize.js';
import { runRules } from './rules/index.js';
import { GantryConfigSpec } from './schema.js';
import type { GantryConfigParsed } from './schema.js';
import type { GantryConfig } from './types.js';
import { readYaml } from './yaml-source.js';
import type { YamlSource } from './yaml-source.js';

/** A file the fast path vouches for: valid, with nothing to report. */
export interface FastRead {
  readonly config: GantryConfig;
  readonly data: GantryConfigParsed;
  /** The YAML tree, built only if a later check (the repository's paths) has a finding to position. */
  readonly source: () => YamlSource;
}

/**
 * The fast path: a file js-yaml vouches for, that passes the schema and every rule without a
 * finding, needs no YAML tree, for nothing is to be positioned. Undefined sends the caller down the
 * full path, so every message keeps its position, snippet and hint; the result is the same either way.
 */
export function readValidFast(text: string, file: string): FastRead | undefined {
  const fast = fastParse(text);
  const parsed = fast ? GantryConfigSpec.safeParse(fast.data) : undefined;
  if (!parsed?.success || runRules(parsed.data).length > 0) return undefined;
  let source: YamlSource | undefined;
  return { config: normalizeConfig(parsed.data), data: parsed.data, source: () => (source ??= readYaml(text, file).source) };
}
