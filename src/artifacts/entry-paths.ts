/**
 * The path rules an artifact entry must follow, shared by the packer (refuse at build time what
 * could never be deployed) and the extractor (refuse a crafted or corrupted archive).
 */

/** `/etc/x`, `\\server\x`, `C:\x` and `C:x` all leave the destination folder. */
function isAbsolute(path: string): boolean {
  return path.startsWith('/') || path.startsWith('\\') || /^[A-Za-z]:/.test(path);
}

function segments(path: string): string[] {
  return path.split('/').filter((s) => s !== '' && s !== '.');
}

/** Why an entry path would land outside the destination, or undefined when it stays inside. */
export function entryPathProblem(path: string): string | undefined {
  if (path === '') return 'the path is empty';
  if (isAbsolute(path)) return 'the path is absolute';
  if (segments(path).includes('..')) return 'the path contains ".."';
  return undefined;
}

/**
 * Why a symlink at `entryPath` pointing at `target` could reach outside the root, or undefined.
 *
 * The check is lexical, so it must also hold physically: `..` is allowed only as a leading run that
 * climbs no higher than the root. The folders it climbs are real folders (neither the packer nor
 * the extractor ever goes through a link), so lexical and physical climbing agree. After the first
 * ordinary segment no `..` may follow, because that segment may itself be a link (`l -> ..`),
 * where `l/..` would climb from wherever `l` points, not from where it sits.
 */
export function linkTargetProblem(entryPath: string, target: string): string | undefined {
  if (target === '') return 'the link target is empty';
  if (isAbsolute(target)) return `the link points at the absolute path ${target}`;
  let depth = segments(entryPath).length - 1;
  let descending = false;
  for (const segment of segments(target)) {
    if (segment !== '..') {
      descending = true;
    } else if (descending) {
      return `the link target ${target} climbs with ".." after descending, which could leave the folder through another link`;
    } else if (--depth < 0) {
      return `the link target ${target} leaves the folder`;
    }
  }
  return undefined;
}

/**
 * Why writing `path` would go through a symlink of the same archive (`link -> sub`, then
 * `link/file`), or undefined. Writing through links is how archives plant files where their paths
 * do not say.
 */
export function throughLinkProblem(path: string, links: ReadonlySet<string>): string | undefined {
  const parts = segments(path);
  for (let i = 1; i < parts.length; i++) {
    const parent = parts.slice(0, i).join('/');
    if (links.has(parent)) return `the path goes through the symlink ${parent}`;
  }
  return undefined;
}

/** The form used to compare paths: no leading `./`, no trailing or doubled slashes. */
export function normalEntryPath(path: string): string {
  return segments(path).join('/');
}
