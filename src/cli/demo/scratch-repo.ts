import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A throwaway git working copy with a bare "origin", as a team would have: what the demo pushes to. */
export class ScratchRepo {
  constructor(readonly workDir: string, readonly originDir: string) {}

  async git(...args: string[]): Promise<string> {
    const { stdout } = await run('git', args, {
      cwd: this.workDir,
      env: { ...process.env, GIT_AUTHOR_NAME: 'Ada Demo', GIT_AUTHOR_EMAIL: 'ada@volteryde.example', GIT_COMMITTER_NAME: 'Ada Demo', GIT_COMMITTER_EMAIL: 'ada@volteryde.example' },
    });
    return stdout.trim();
  }

  static async create(workDir: string, originDir: string): Promise<ScratchRepo> {
    await run('git', ['init', '--quiet', '--bare', '--initial-branch=main', originDir]);
    await mkdir(workDir, { recursive: true });
    const repo = new ScratchRepo(workDir, originDir);
    await repo.git('init', '--quiet', '--initial-branch=main');
    await repo.git('config', 'commit.gpgsign', 'false');
    await repo.git('remote', 'add', 'origin', originDir);
    return repo;
  }

  async commitAll(message: string): Promise<string> {
    await this.git('add', '--all');
    await this.git('commit', '--quiet', '-m', message);
    return this.git('rev-parse', 'HEAD');
  }

  async push(...refs: string[]): Promise<void> {
    await this.git('push', '--quiet', 'origin', ...refs);
  }
}
