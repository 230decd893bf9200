import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { git, gitText } from './git.js';

import type { CommitInfo, RepositoryReader } from '../../engine/repository-reader.js';

/** A bound on the commits read for their authors: a run never merges more in practice. */
const MAX_AUTHOR_COMMITS = 10_000;

/**
 * Gantry's own bare mirror of the watched repository. Gates and builds check out from here, so the
 * user's working tree is never touched, and a remote URL is fetched once per change, not per step.
 */
export class MirrorRepository implements RepositoryReader {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly url: string, readonly gitDir: string) {}

  /** Git locks its refs and worktree admin files; one mutating command at a time avoids lock races. */
  serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Heads of the source without fetching objects: a cheap poll. */
  async remoteHeads(): Promise<Map<string, string>> {
    const out = await gitText(['ls-remote', '--heads', this.url]);
    const heads = new Map<string, string>();
    for (const line of out.split('\n')) {
      const [sha, ref] = line.split('\t');
      if (sha && ref?.startsWith('refs/heads/')) heads.set(ref.slice('refs/heads/'.length), sha);
    }
    return heads;
  }

  async fetch(): Promise<void> {
    await this.serial(async () => {
      if (!existsSync(this.gitDir)) {
        await mkdir(dirname(this.gitDir), { recursive: true });
        await git(['clone', '--mirror', '--quiet', this.url, this.gitDir]);
      } else {
        await git(['fetch', '--prune', '--quiet', 'origin'], { gitDir: this.gitDir });
      }
    });
  }

  async resolve(ref: string): Promise<string | undefined> {
    const r = await git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], { gitDir: this.gitDir, okCodes: [1, 128] });
    return r.code === 0 ? r.stdout.trim() : undefined;
  }

  async showFile(sha: string, path: string): Promise<string | undefined> {
    const r = await git(['show', `${sha}:${path}`], { gitDir: this.gitDir, okCodes: [128] });
    return r.code === 0 ? r.stdout : undefined;
  }

  /** The tree id of a path at a commit: equal ids mean byte-identical content. Undefined when absent. */
  async treeHash(sha: string, path: string): Promise<string | undefined> {
    const r = await git(['rev-parse', '--verify', '--quiet', `${sha}:${path}`], { gitDir: this.gitDir, okCodes: [1, 128] });
    return r.code === 0 ? r.stdout.trim() : undefined;
  }

  async changedFiles(base: string, sha: string): Promise<string[]> {
    const out = await gitText(['diff', '--name-only', '--no-renames', base, sha], { gitDir: this.gitDir });
    return out === '' ? [] : out.split('\n');
  }

  async mergeBase(a: string, b: string): Promise<string | undefined> {
    const r = await git(['merge-base', a, b], { gitDir: this.gitDir, okCodes: [1] });
    return r.code === 0 ? r.stdout.trim() : undefined;
  }

  async isAncestor(ancestor: string, sha: string): Promise<boolean> {
    const r = await git(['merge-base', '--is-ancestor', ancestor, sha], { gitDir: this.gitDir, okCodes: [1, 128] });
    return r.code === 0;
  }

  async commit(sha: string): Promise<CommitInfo> {
    const out = await gitText(['show', '-s', '--format=%H%x00%an%x00%ae%x00%ct%x00%B', sha], { gitDir: this.gitDir });
    const [full = sha, author = '', authorEmail = '', time = '0', ...message] = out.split('\0');
    return { sha: full, author, authorEmail, time: Number(time) * 1000, message: message.join('\0').trim() };
  }

  /**
   * The people who wrote base..sha: each commit's author and its `Co-authored-by:` trailers (how
   * GitHub and many teams credit pair work), so that none of them can approve the change.
   */
  async authors(base: string, sha: string): Promise<string[]> {
    const out = await gitText(['log', `--max-count=${MAX_AUTHOR_COMMITS}`, '--format=%an <%ae>%n%(trailers:key=Co-authored-by,valueonly)', `${base}..${sha}`], { gitDir: this.gitDir });
    return [...new Set(out.split('\n').map((l) => l.trim()).filter((l) => l !== ''))];
  }

  /** An annotated tag on a released commit, pushed back to the source so people see it where they work. */
  async tag(sha: string, tag: string, message: string): Promise<void> {
    await this.serial(async () => {
      await git(['-c', 'user.name=Gantry', '-c', 'user.email=gantry@localhost', 'tag', '-f', '-a', tag, '-m', message, sha], { gitDir: this.gitDir });
      await git(['push', '--quiet', this.url, `refs/tags/${tag}`], { gitDir: this.gitDir });
    });
  }

  /**
   * A step may run on another server than the one whose watcher saw the push (several servers on
   * one database each keep a mirror): a commit this mirror does not hold yet is fetched first.
   */
  async addWorktree(dir: string, sha: string): Promise<void> {
    await this.serial(async () => {
      await mkdir(dirname(dir), { recursive: true });
      const present = await git(['cat-file', '-e', `${sha}^{commit}`], { gitDir: this.gitDir, okCodes: [1, 128] });
      if (present.code !== 0) await git(['fetch', '--prune', '--quiet', 'origin'], { gitDir: this.gitDir });
      await git(['worktree', 'add', '--detach', '--force', dir, sha], { gitDir: this.gitDir });
    });
  }

  async removeWorktree(dir: string): Promise<void> {
    await this.serial(async () => {
      await git(['worktree', 'remove', '--force', dir], { gitDir: this.gitDir, okCodes: [128] });
      await git(['worktree', 'prune'], { gitDir: this.gitDir });
    });
  }
}
