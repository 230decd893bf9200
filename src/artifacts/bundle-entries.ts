import type { Stats } from 'node:fs';
import { lstat, readdir, readFile, readlink, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ArtifactError } from './artifact-error.js';
import { linkTargetProblem } from './entry-paths.js';
import type { TarEntry } from './tar-writer.js';

const OUTPUT_HINT = 'Check `build.output` of the service in gantry.yaml: it must name the folder the build command writes, relative to the service path, and the build must put files there.';

/**
 * Lists a folder as tar entries in a fixed order (names sorted by code unit within each folder,
 * a folder before its contents) with normalised modes: 0755 for folders and for files with any
 * execute bit, 0644 for other files. Symlinks are kept as links and never followed.
 */
export async function collectEntries(root: string): Promise<TarEntry[]> {
  await assertFolder(root);
  const entries: TarEntry[] = [];
  await walk(root, '', entries);
  if (!entries.some((e) => e.type !== 'Directory')) throw emptyError(root, 'has no files');
  return entries;
}

async function walk(root: string, folder: string, into: TarEntry[]): Promise<void> {
  // Default sort compares UTF-16 code units: the same on every machine, unlike localeCompare.
  const names = (await readdir(join(root, folder))).sort();
  for (const name of names) {
    const path = folder === '' ? name : `${folder}/${name}`;
    const absolute = join(root, path);
    const info = await lstat(absolute);
    if (info.isDirectory()) {
      into.push({ type: 'Directory', path: `${path}/`, mode: 0o755 });
      await walk(root, path, into);
    } else if (info.isFile()) {
      into.push({ type: 'File', path, mode: info.mode & 0o111 ? 0o755 : 0o644, data: await readFile(absolute) });
    } else if (info.isSymbolicLink()) {
      const linkpath = await readlink(absolute);
      const problem = linkTargetProblem(path, linkpath);
      if (problem) throw unsafeError(root, path, problem, 'Make the link relative and pointing inside the output folder, or copy the file it points at into the folder.');
      into.push({ type: 'SymbolicLink', path, linkpath });
    } else {
      throw unsafeError(root, path, 'it is a socket, FIFO or device, which an artifact cannot hold', 'Have the build write such files at run time, outside `build.output`.');
    }
  }
}

/** The root may itself be a symlink to a folder (`dist -> build/out`): that one is followed. */
async function assertFolder(root: string): Promise<void> {
  let info: Stats;
  try {
    info = await stat(root);
  } catch (error: unknown) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw emptyError(root, 'does not exist', error);
    throw error;
  }
  if (!info.isDirectory()) throw emptyError(root, 'is not a folder');
}

function emptyError(root: string, what: string, cause?: unknown): ArtifactError {
  return new ArtifactError('ARTIFACT_EMPTY', `the build output ${root} ${what}, so there is nothing to release`, { where: root, hint: OUTPUT_HINT, cause });
}

function unsafeError(root: string, path: string, problem: string, hint: string): ArtifactError {
  return new ArtifactError('ARTIFACT_UNSAFE_ENTRY', `cannot pack ${path}: ${problem}`, { where: join(root, path), hint });
}
