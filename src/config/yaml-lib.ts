import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';

let lib: typeof Yaml | undefined;

/**
 * The `yaml` package, loaded on first use rather than at import: a valid gantry.yaml read by the
 * fast path (fast-yaml.ts) never needs it, and loading it is ~40 ms of a cold `gantry validate`.
 */
export function yamlLib(): typeof Yaml {
  lib ??= createRequire(import.meta.url)('yaml') as typeof Yaml;
  return lib;
}
