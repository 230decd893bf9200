import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { GantryError } from '../errors/index.js';
import type { RunAsUser } from './run-as.js';

/** May `user` search (pass through) a folder with this owner and mode? Supplementary groups are dropped at spawn. */
function maySearch(info: { uid: number; gid: number; mode: number }, user: RunAsUser): boolean {
  if (info.uid === user.uid) return (info.mode & 0o100) !== 0;
  if (info.gid === user.gid) return (info.mode & 0o010) !== 0;
  return (info.mode & 0o001) !== 0;
}

/**
 * Fails with RUN_AS_INVALID, naming the folder in the way, when `user` could not reach `dir`
 * through every folder above it: better at start than as a failed gate that says EACCES.
 */
export async function assertReachable(dir: string, user: RunAsUser): Promise<void> {
  for (let path = dirname(dir); ; path = dirname(path)) {
    const info = await stat(path);
    if (!maySearch(info, user)) {
      throw new GantryError('RUN_AS_INVALID', `${user.name} cannot reach ${dir}: ${path} is mode ${(info.mode & 0o777).toString(8).padStart(4, '0')}, owned by uid ${info.uid}`, {
        hint: `Put the work folder where ${user.name} can pass through every folder above it (--work-dir), or make ${path} searchable (chmod o+x).`,
      });
    }
    if (dirname(path) === path) return;
  }
}
