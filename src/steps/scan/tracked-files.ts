import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Files git tracks under `paths` in the worktree at `root` (every file when `paths` is empty). */
export async function trackedFiles(root: string, paths: readonly string[]): Promise<string[]> {
  // The worktree belongs to the run-as user when there is one; git refuses another user's repository unless told it is safe.
  const { stdout } = await run('git', ['-c', `safe.directory=${root}`, '-C', root, 'ls-files', '-z', '--', ...paths], { maxBuffer: 64 * 1024 * 1024 });
  return stdout.split('\0').filter((f) => f !== '');
}
