import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { fail, ok, type Check } from './check.js';

/** A file or folder that holds a key: nobody but its owner may read it. */
interface KeyPath {
  readonly name: string;
  readonly path: string;
  readonly mode: 0o600 | 0o700;
}

const octal = (mode: number): string => (mode & 0o777).toString(8).padStart(3, '0');

/** Each key path's mode: group or others allowed anything is a failure with the chmod that fixes it; a path that is not there is not checked. */
export function keyModeChecks(dataDir: string, credentials: string): Check[] {
  const paths: KeyPath[] = [
    // Absolute, so the chmod of a fix works from any folder.
    { name: 'data dir', path: resolve(dataDir), mode: 0o700 },
    { name: 'admin.token', path: resolve(dataDir, 'admin.token'), mode: 0o600 },
    { name: 'master.key', path: resolve(dataDir, 'master.key'), mode: 0o600 },
    { name: 'saved login', path: credentials, mode: 0o600 },
  ];
  return paths.flatMap((p): Check[] => {
    if (!existsSync(p.path)) return [];
    const mode = statSync(p.path).mode & 0o777;
    if ((mode & 0o077) === 0) return [ok(p.name, `${p.path} is ${octal(mode)}`)];
    return [fail(p.name, `${p.path} is ${octal(mode)}: others on this machine can read it`, `chmod ${octal(p.mode)} ${p.path}`)];
  });
}
