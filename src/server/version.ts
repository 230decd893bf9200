import { readFileSync } from 'node:fs';

/** Read once from package.json, which ships beside dist/ and src/. */
function readVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

export const VERSION = readVersion();

/** Sent with every API answer, so that the CLI can tell a Gantry server from whatever else answers at an address. */
export const GANTRY_VERSION_HEADER = 'gantry-version';
