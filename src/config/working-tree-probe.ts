import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { PathKind, PathProbe } from './rules/service-path.js';
import type { GantryConfigParsed } from './schema.js';

/** `https://…`, `ssh://…`, `file://…` or scp-like `git@host:owner/repo`: not a folder on this machine. */
const REMOTE_URL = /^([a-z][a-z0-9+.-]*:\/\/|[^/\s]+@[^/\s:]+:)/i;

function kindAt(path: string): PathKind {
  try {
    return statSync(path).isDirectory() ? 'folder' : 'file';
  } catch {
    return 'absent';
  }
}

/** A bare repository has no working tree to look into (the folder holds HEAD and objects/, not the files). */
function isBare(folder: string): boolean {
  return !existsSync(join(folder, '.git')) && existsSync(join(folder, 'HEAD')) && existsSync(join(folder, 'objects'));
}

/**
 * The working tree `gantry validate` checks paths in: the local folder `repository.url` names
 * (relative to the file; "." is the folder of the file), or, for a remote URL, the folder of the
 * file when it is the top of a git checkout. Undefined (no check) for a bare repository or a file
 * kept outside any checkout: there is no tree on disk to compare with.
 */
export function workingTreeRoot(configFile: string, config: GantryConfigParsed): string | undefined {
  const base = dirname(resolve(configFile));
  const url = config.repository.url;
  if (REMOTE_URL.test(url)) return existsSync(join(base, '.git')) ? base : undefined;
  const folder = resolve(base, url);
  return kindAt(folder) === 'folder' && !isBare(folder) ? folder : undefined;
}

export function workingTreeProbe(configFile: string, config: GantryConfigParsed): PathProbe | undefined {
  const root = workingTreeRoot(configFile, config);
  if (root === undefined) return undefined;
  return { where: root, kindOf: async (path) => kindAt(join(root, path)) };
}
