import { existsSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { MirrorRepository } from '../sources/git/repository.js';

/**
 * Clean checkouts for a run, one git worktree per run and service, made from Gantry's mirror:
 * the user's working tree is never used. A service's gates share its worktree, in order, as the
 * jobs of a CI workflow share a workspace.
 */
export class Workspaces {
  constructor(private readonly mirror: MirrorRepository, private readonly root: string) {}

  dirFor(runId: number, service: string): string {
    return join(this.root, `run-${runId}`, service);
  }

  /** Idempotent: a step re-run after a crash reuses the worktree its service already has. */
  async checkout(runId: number, service: string, sha: string): Promise<string> {
    const dir = this.dirFor(runId, service);
    if (existsSync(join(dir, '.git'))) return dir;
    if (existsSync(dir)) await rm(dir, { recursive: true, force: true });
    await this.mirror.addWorktree(dir, sha);
    return dir;
  }

  async removeRun(runId: number): Promise<void> {
    const runDir = join(this.root, `run-${runId}`);
    if (!existsSync(runDir)) return;
    for (const service of await readdir(runDir)) await this.mirror.removeWorktree(join(runDir, service));
    await rm(runDir, { recursive: true, force: true });
  }
}
