import { execFile } from 'node:child_process';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { promisify } from 'node:util';
import { UsageError } from '../../errors/index.js';

const run = promisify(execFile);

/** What `git -C dir …` prints, or undefined when dir is not in a repository (or git says nothing). */
async function git(dir: string, args: readonly string[]): Promise<string | undefined> {
  try {
    const { stdout } = await run('git', ['-C', dir, ...args], { timeout: 10_000 });
    return stdout.trim() || undefined;
  } catch {
    return undefined;
  }
}

/** A URL Argo CD can clone: https://, ssh://, git@host:path. A local path cannot be. */
const isRemote = (url: string): boolean => /^(https?|ssh|git):\/\//.test(url) || /^[\w.-]+@[\w.-]+:/.test(url);

export interface RepositoryLocation {
  /** The URL for the Application's spec.source.repoURL; undefined when gantry.yaml names a local repository without a remote. */
  readonly repoURL: string | undefined;
  /** The --out folder relative to the repository's root, forward slashes. */
  readonly path: string;
}

/**
 * Where Argo CD finds the exported folder: repository.url when it is remote, else the `origin`
 * remote of the local repository it names; the path is --out relative to that repository's root
 * (the working tree gantry.yaml is in).
 */
export async function repositoryLocation(configFile: string, repositoryUrl: string, out: string): Promise<RepositoryLocation> {
  const configDir = dirname(resolve(configFile));
  const localRepo = isRemote(repositoryUrl) ? configDir : resolve(configDir, repositoryUrl);
  const root = (await git(configDir, ['rev-parse', '--show-toplevel'])) ?? configDir;
  const path = relative(root, resolve(out));
  if (path === '' || path.startsWith('..') || isAbsolute(path)) {
    throw new UsageError('USAGE', `--out ${out} is not a folder inside the repository (${root})`, { hint: 'Argo CD reads the manifests from the repository: pass --out a folder in it, such as deploy/gantry.' });
  }
  const repoURL = isRemote(repositoryUrl) ? repositoryUrl : await git(localRepo, ['remote', 'get-url', 'origin']);
  return { repoURL: repoURL !== undefined && isRemote(repoURL) ? repoURL : undefined, path: path.split(sep).join('/') };
}
