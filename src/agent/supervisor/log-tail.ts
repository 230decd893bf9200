import { open } from 'node:fs/promises';

const CHUNK_BYTES = 64 * 1024;
/** Bounds memory when asked for many lines of a file of very long lines. */
const MAX_TAIL_BYTES = 1024 * 1024;

/** The last `lines` lines of a log file, reaching into the rotated `<path>.1` when the current file is short. */
export async function readLogTail(path: string, lines: number): Promise<string[]> {
  if (lines <= 0) return [];
  const current = await tailOf(path, lines);
  if (current.length >= lines) return current;
  const older = await tailOf(`${path}.1`, lines - current.length);
  return [...older, ...current];
}

async function tailOf(path: string, lines: number): Promise<string[]> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch {
    return [];
  }
  try {
    const { size } = await handle.stat();
    const chunks: Buffer[] = [];
    let position = size;
    let newlines = 0;
    // One newline more than asked for, so the first (possibly partial) line can be dropped.
    while (position > 0 && newlines <= lines && size - position < MAX_TAIL_BYTES) {
      const length = Math.min(CHUNK_BYTES, position);
      position -= length;
      const buffer = Buffer.alloc(length);
      await handle.read(buffer, 0, length, position);
      chunks.unshift(buffer);
      for (const byte of buffer) if (byte === 0x0a) newlines += 1;
    }
    const all = Buffer.concat(chunks).toString('utf8').split('\n');
    if (position > 0) all.shift();
    if (all.at(-1) === '') all.pop();
    return all.slice(-lines).map((line) => line.replace(/\r$/, ''));
  } finally {
    await handle.close();
  }
}
