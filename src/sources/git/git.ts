import { execFile } from 'node:child_process';
import { GitError } from '../../errors/index.js';

export interface GitOptions {
  readonly cwd?: string;
  readonly gitDir?: string;
  readonly signal?: AbortSignal;
  /** Exit codes that are answers, not failures (e.g. 1 from `merge-base --is-ancestor`). */
  readonly okCodes?: readonly number[];
}

export interface GitResult {
  readonly stdout: string;
  readonly code: number;
}

// Git must never stop to ask for credentials or an editor on a server.
const GIT_ENV = { GIT_TERMINAL_PROMPT: '0', GIT_EDITOR: 'true', GIT_ASKPASS: 'true', LC_ALL: 'C' };

/** Runs one git command; a failure becomes a GitError naming the command and git's own message. */
export function git(args: readonly string[], options: GitOptions = {}): Promise<GitResult> {
  const fullArgs = options.gitDir ? ['--git-dir', options.gitDir, ...args] : [...args];
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      fullArgs,
      { cwd: options.cwd, env: { ...process.env, ...GIT_ENV }, maxBuffer: 64 * 1024 * 1024, signal: options.signal },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        if (error && !(options.okCodes ?? []).includes(code)) {
          reject(
            new GitError('GIT_FAILED', `git ${args.join(' ')} failed: ${stderr.trim() || error.message}`, {
              cause: error,
              hint: 'Check that the repository URL is reachable and the ref exists.',
              retryable: true,
            }),
          );
          return;
        }
        resolve({ stdout, code });
      },
    );
  });
}

export async function gitText(args: readonly string[], options: GitOptions = {}): Promise<string> {
  return (await git(args, options)).stdout.trim();
}
