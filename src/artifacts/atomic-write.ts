import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Writes a file so that readers see either the old content or the new, never a torn one, even if
 * the process dies half-way: write a temp file in the same folder (rename is atomic only within
 * one filesystem), flush it, then rename it over the target.
 */
export async function atomicWriteFile(path: string, data: Uint8Array | string): Promise<void> {
  const folder = dirname(path);
  // Dot-prefixed so that a temp file left by a crash is never mistaken for a blob named by its digest.
  const temp = join(folder, `.tmp-${basename(path)}-${process.pid}-${randomBytes(6).toString('hex')}`);
  try {
    const handle = await open(temp, 'wx', 0o644);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error: unknown) {
    await rm(temp, { force: true });
    throw error;
  }
  await syncFolder(folder);
}

/** Makes the rename itself durable. Some filesystems refuse fsync on a folder; the rename still happened. */
async function syncFolder(folder: string): Promise<void> {
  try {
    const handle = await open(folder, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Best effort: durability of the folder entry is a bonus, atomicity is already guaranteed.
  }
}
