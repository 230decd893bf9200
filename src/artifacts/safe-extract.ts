import { mkdir } from 'node:fs/promises';
import { Parser, Unpack } from 'tar';
import type { ReadEntry } from 'tar';
import { ArtifactError } from './artifact-error.js';
import { entryPathProblem, linkTargetProblem, normalEntryPath, throughLinkProblem } from './entry-paths.js';

interface ListedEntry {
  readonly path: string;
  readonly type: string;
  readonly linkpath: string | undefined;
}

/** Regular files ('OldFile' is the pre-POSIX flag for the same thing), folders and symlinks; nothing else. */
const ALLOWED_TYPES = new Set(['File', 'OldFile', 'Directory', 'SymbolicLink']);

/**
 * Extracts a .tar.gz into `dest`, or throws `ARTIFACT_UNSAFE_ENTRY` before writing anything when an
 * entry could land outside `dest`: an absolute path, a `..`, a link pointing out, a path through a
 * link, a hard link or a device. node-tar would silently skip or rewrite most of these; a release
 * that is not exactly what was built must fail loudly instead.
 */
export async function extractSafely(data: Buffer, dest: string): Promise<void> {
  const entries = await listEntries(data);
  const links = new Set(entries.filter((e) => e.type === 'SymbolicLink').map((e) => normalEntryPath(e.path)));
  for (const entry of entries) {
    const problem = entryProblem(entry, links);
    if (problem) {
      throw new ArtifactError('ARTIFACT_UNSAFE_ENTRY', `refusing to unpack ${JSON.stringify(entry.path)}: ${problem}`, {
        where: dest,
        hint: 'Gantry does not write such archives; this layer was crafted or damaged. Rebuild the release from its commit.',
        details: { entry: entry.path, type: entry.type },
      });
    }
  }
  await mkdir(dest, { recursive: true });
  // Checked above; node-tar's own guards stay on (strict, no preservePaths) as a second line.
  await runStream(
    new Unpack({
      cwd: dest,
      strict: true,
      preservePaths: false,
      preserveOwner: false,
      // Exact modes regardless of the caller's umask: an executable must stay executable.
      chmod: true,
      processUmask: 0,
      // Fresh mtimes: the fixed time in the archive is for digests, not for tools that compare dates.
      noMtime: true,
    }),
    data,
    // Every entry was judged above, so a failure here is the disk's (full, read-only): passed on as is.
    (error) => error,
  );
}

function entryProblem(entry: ListedEntry, links: ReadonlySet<string>): string | undefined {
  if (!ALLOWED_TYPES.has(entry.type)) return `entries of type ${entry.type} are not allowed`;
  const pathProblem = entryPathProblem(entry.path) ?? throughLinkProblem(entry.path, links);
  if (pathProblem) return pathProblem;
  if (entry.type === 'SymbolicLink') return linkTargetProblem(entry.path, entry.linkpath ?? '');
  return undefined;
}

/** Reads the headers only (pax paths already applied), so the whole archive is judged before any write. */
async function listEntries(data: Buffer): Promise<ListedEntry[]> {
  const entries: ListedEntry[] = [];
  const parser = new Parser({
    strict: true,
    onReadEntry: (entry: ReadEntry) => {
      entries.push({ path: entry.path, type: entry.type, linkpath: entry.linkpath });
      entry.resume();
    },
  });
  await runStream(parser, data, badArchive);
  return entries;
}

/** Feeds a buffer to a node-tar stream and waits until it has finished (or failed). */
function runStream(stream: Parser, data: Buffer, onError: (error: Error) => Error): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.on('error', (error: Error) => reject(onError(error)));
    // node-tar emits 'end' once every entry is parsed (and, for Unpack, written to disk).
    stream.on('end', () => resolve());
    stream.end(data);
  });
}

function badArchive(error: Error): ArtifactError {
  return new ArtifactError('ARTIFACT_UNSAFE_ENTRY', `the layer is not a readable tar.gz archive: ${error.message}`, {
    cause: error,
    hint: 'The layer blob is damaged or was not written by Gantry. Run verify on the artifact, and rebuild the release if it fails.',
  });
}
