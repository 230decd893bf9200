import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, lchown, lstat, mkdir, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { GantryError } from '../errors/index.js';
import { chownTree, type RunAsUser } from '../secrets/run-as.js';
import type { MirrorRepository } from '../sources/git/repository.js';
import { assertReachable } from '../secrets/reachable.js';

/**
 * Where worktrees go unless the server is told: outside the data folder (which stays 0700, with
 * master.key and gantry.db in it), in a folder of the system's temporary directory named after the
 * data folder, so that two servers never share one.
 */
export function defaultWorkDir(dataDir: string): string {
  return join(tmpdir(), `gantry-work-${createHash('sha256').update(resolve(dataDir)).digest('hex').slice(0, 12)}`);
}

/**
 * Clean checkouts for a run, one git worktree per run and service, made from Gantry's mirror:
 * the user's working tree is never used. A service's gates share its worktree, in order, as the
 * jobs of a CI workflow share a workspace. With a run-as user, each worktree is handed to that
 * user, and commands get a home folder of their own here (never the server's).
 */
export class Workspaces {
  constructor(
    private readonly mirror: MirrorRepository,
    readonly root: string,
    /** Who commands run as (null: the server's own user). */
    readonly user: RunAsUser | null = null,
  ) {}

  /** The home folder commands get, made by `prepare`. */
  get home(): string {
    return join(this.root, 'home');
  }

  /**
   * Makes the root (refusing one that is a symbolic link or another user's, as a name in a shared
   * temporary directory could be) and the commands' home, and checks the run-as user can reach it.
   */
  async prepare(): Promise<void> {
    await mkdir(this.root, { recursive: true, mode: 0o700 }).catch((error: unknown) => {
      // Not a bug: a path inside a file, a read-only or full disk, a folder this user may not write.
      const code = (error as NodeJS.ErrnoException).code ?? String(error);
      throw new GantryError('WORK_DIR_UNUSABLE', `the work folder ${this.root} cannot be made (${code})`, {
        cause: error,
        hint: 'Choose a folder this user may write with --work-dir (or GANTRY_WORK_DIR).',
      });
    });
    const info = await lstat(this.root);
    const me = process.getuid?.() ?? -1;
    if (!info.isDirectory() || (me >= 0 && info.uid !== me)) {
      throw new GantryError('WORK_DIR_UNUSABLE', `the work folder ${this.root} is not a directory owned by this user`, {
        hint: 'Remove it (something else made it, maybe to catch what gates write), or choose another with --work-dir.',
      });
    }
    // Other users may pass through to their own worktree, never list the runs.
    await chmod(this.root, this.user ? 0o711 : 0o700);
    await mkdir(this.home, { recursive: true, mode: 0o700 });
    if (this.user) {
      await lchown(this.home, this.user.uid, this.user.gid);
      await assertReachable(this.home, this.user);
    }
  }

  /** What a command's environment needs to be that user's: its own HOME, USER and LOGNAME. */
  environment(base: Record<string, string>): Record<string, string> {
    return this.user ? { ...base, HOME: this.home, USER: this.user.name, LOGNAME: this.user.name } : base;
  }

  dirFor(runId: number, service: string): string {
    return join(this.root, `run-${runId}`, service);
  }

  /** Idempotent: a step re-run after a crash reuses the worktree its service already has. */
  async checkout(runId: number, service: string, sha: string): Promise<string> {
    const dir = this.dirFor(runId, service);
    if (existsSync(join(dir, '.git'))) return dir;
    if (existsSync(dir)) await rm(dir, { recursive: true, force: true });
    await this.mirror.addWorktree(dir, sha);
    if (this.user) await chownTree(dir, this.user);
    return dir;
  }

  async removeRun(runId: number): Promise<void> {
    const runDir = join(this.root, `run-${runId}`);
    if (!existsSync(runDir)) return;
    for (const service of await readdir(runDir)) await this.mirror.removeWorktree(join(runDir, service));
    await rm(runDir, { recursive: true, force: true });
  }

  /** The folder for a local target's revisions: outside the data folder too, where the run-as user can reach them. */
  revisionsDir(target: string): string {
    return join(this.root, 'agents', target, 'revisions');
  }

  /**
   * Removes the root when only the commands' home is left in it: a run handed back at stop keeps its
   * worktrees, and an agent (which outlives the server) its revisions.
   */
  async removeIfIdle(o: { agentsStopped?: boolean } = {}): Promise<void> {
    const entries = await readdir(this.root).catch(() => undefined);
    const idle = o.agentsStopped ? ['home', 'agents'] : ['home'];
    if (entries && entries.every((e) => idle.includes(e))) await rm(this.root, { recursive: true, force: true });
  }
}
