import { readFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import type { Folder } from './detected-service.js';

/** A file's text, or '' when it cannot be read: detection guesses, it never fails. */
export async function readText(dir: string, file: string): Promise<string> {
  return readFile(join(dir, file), 'utf8').catch(() => '');
}

export async function readJson(dir: string, file: string): Promise<Record<string, unknown> | undefined> {
  try {
    const value: unknown = JSON.parse(await readText(dir, file));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The nearest folder, this one first, then its ancestors (only workspace roots with `aggregatesOnly`),
 * holding one of `names`: a monorepo keeps one lock file or build wrapper at its root for every module.
 */
export function nearest(folder: Folder, names: readonly string[], aggregatesOnly = false): { readonly path: string; readonly files: ReadonlySet<string>; readonly name: string } | undefined {
  for (const f of [{ path: folder.path, files: folder.files }, ...folder.ancestors.filter((a) => a.aggregate || !aggregatesOnly)]) {
    const name = names.find((n) => f.files.has(n));
    if (name !== undefined) return { path: f.path, files: f.files, name };
  }
  return undefined;
}

/** How to call a wrapper script (`./mvnw`, `../../gradlew`) from the service folder. */
export function wrapperCommand(folder: Folder, wrapper: string, fallback: string): string {
  const found = nearest(folder, [wrapper]);
  if (found === undefined) return fallback;
  const up = posix.relative(folder.path === '.' ? '' : folder.path, found.path === '.' ? '' : found.path);
  return up === '' ? `./${wrapper}` : `${up}/${wrapper}`;
}
