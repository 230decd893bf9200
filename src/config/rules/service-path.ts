import { posix } from 'node:path';
import { finding, formatPath } from '../issues.js';
import type { ConfigPath, Finding } from '../issues.js';
import type { GantryConfigParsed } from '../schema.js';

export type PathKind = 'folder' | 'file' | 'absent';

/**
 * What is at a path relative to the repository root: the working tree for `gantry validate`, a
 * commit's tree for the server. Unlike the pure rules, this one needs the repository, so the loader
 * runs it only when a caller hands it a probe.
 */
export interface PathProbe {
  /** Where the paths are looked up, for messages: a folder, or `commit abc1234`. */
  readonly where: string;
  kindOf(path: string): Promise<PathKind>;
}

/** `./services/api/` and `services/api` are one folder; the repository root is `.`. */
const trimmed = (path: string): string => posix.normalize(path).replace(/\/+$/, '') || '.';

/**
 * A commit's tree as a probe, from a lookup of `<sha>:<path>` (git rev-parse): with a trailing
 * slash it resolves only for a folder, without one for a file too.
 */
export function commitTreeProbe(sha: string, objectAt: (path: string) => Promise<string | undefined>): PathProbe {
  return {
    where: `commit ${sha.slice(0, 7)}`,
    async kindOf(path) {
      if (path === '.' || (await objectAt(`${path}/`)) !== undefined) return 'folder';
      return (await objectAt(path)) !== undefined ? 'file' : 'absent';
    },
  };
}

/**
 * Every service `path` must be a folder (gates, builds and revisions run in it); a `watch` or
 * `sharedPaths` entry that does not exist is a warning, since it can never match a change.
 */
export async function servicePathFindings(config: GantryConfigParsed, probe: PathProbe): Promise<Finding[]> {
  const found: Finding[] = [];
  const check = async (path: ConfigPath, value: string, severity: 'error' | 'warning', folderOnly: boolean): Promise<void> => {
    const kind = await probe.kindOf(trimmed(value));
    if (kind === 'folder' || (kind === 'file' && !folderOnly)) return;
    const what = kind === 'file' ? 'is a file, not a folder,' : 'does not exist';
    const message = `${formatPath(path)}: "${value}" ${what} in ${probe.where}`;
    const hint = folderOnly
      ? 'a service path is the folder its gates, build and run command work in, relative to the repository root: correct it, or create and commit the folder'
      : 'correct the path (relative to the repository root), or remove it: a path that does not exist never matches a change';
    found.push(finding('CONFIG_PATH_NOT_FOUND', path, message, { severity, hint }));
  };
  for (const [name, service] of Object.entries(config.services)) {
    await check(['services', name, 'path'], service.path, 'error', true);
    for (const [index, watched] of (service.watch ?? []).entries()) await check(['services', name, 'watch', index], watched, 'warning', false);
  }
  for (const [index, shared] of (config.repository.sharedPaths ?? []).entries()) await check(['repository', 'sharedPaths', index], shared, 'warning', false);
  return found;
}
