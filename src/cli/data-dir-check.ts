import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { GantryError, UsageError } from '../errors/index.js';

const HINT = 'Pass a --data-dir (or GANTRY_DATA_DIR) that is a folder this user may write, or a path where one can be made.';

/**
 * The data folder, or the nearest part of its path that exists, must be a folder: checked before the
 * server makes anything, so `--data-dir gantry.yaml` is a usage error rather than a failed mkdir.
 */
export function checkDataDir(dataDir: string): void {
  for (let path = resolve(dataDir); ; path = dirname(path)) {
    let isFolder: boolean;
    try {
      isFolder = statSync(path).isDirectory();
    } catch (error: unknown) {
      const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
      if ((code === 'ENOENT' || code === 'ENOTDIR') && dirname(path) !== path) continue;
      throw new UsageError('USAGE', `--data-dir ${dataDir} cannot be used: ${code === 'EACCES' ? 'permission denied' : code || String(error)}`, { hint: HINT });
    }
    if (isFolder) return;
    const what = path === resolve(dataDir) ? 'is a file, not a folder' : `is inside ${path}, which is a file`;
    throw new UsageError('USAGE', `--data-dir ${dataDir} ${what}`, { hint: HINT });
  }
}

/** A file-system refusal inside the data folder (no permission, read-only) as what it is, not as a bug; anything else unchanged. */
export function dataDirFailure(error: unknown, dataDir: string): unknown {
  const e = error as { code?: unknown; path?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : '';
  const path = typeof e?.path === 'string' ? resolve(e.path) : '';
  if (!['EACCES', 'EPERM', 'EROFS', 'ENOSPC'].includes(code) || !path.startsWith(resolve(dataDir))) return error;
  const reason = code === 'EROFS' ? 'the file system is read-only' : code === 'ENOSPC' ? 'the disk is full' : 'permission denied';
  return new GantryError('DATA_DIR_UNUSABLE', `cannot write the data folder ${dataDir} (${path}): ${reason}`, { cause: error, hint: HINT });
}
