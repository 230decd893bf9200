import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GantryError } from '../errors/index.js';
import type { ExportedFile } from './github-actions/export-github-actions.js';

/**
 * Writes every file into `dir` (made if missing), overwriting earlier exports. Called only once
 * everything is generated, so a config or input error writes nothing.
 */
export async function writeFiles(dir: string, files: readonly ExportedFile[]): Promise<string[]> {
  try {
    await mkdir(dir, { recursive: true });
    const written: string[] = [];
    for (const f of files) {
      const path = join(dir, f.file);
      await writeFile(path, f.text);
      written.push(path);
    }
    return written;
  } catch (error: unknown) {
    const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
    const reason = code === 'ENOTDIR' || code === 'EEXIST' ? 'a file is in the way of the folder' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : error instanceof Error ? error.message : String(error);
    throw new GantryError('EXPORT_WRITE_FAILED', `cannot write the export to ${dir}: ${reason}`, { where: dir, hint: 'Pass --out a folder you can write to.' });
  }
}
