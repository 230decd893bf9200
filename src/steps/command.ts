import { spawn } from 'node:child_process';
import type { RunAsUser } from '../secrets/run-as.js';

export interface CommandOptions {
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  readonly signal: AbortSignal;
  readonly onOutput: (stream: 'stdout' | 'stderr', chunk: string) => void;
  /** Told the process group id as soon as the command starts. */
  readonly onSpawn?: (pid: number) => void;
  /** Between SIGTERM and SIGKILL when the command is stopped. */
  readonly graceMs?: number;
  /** Run as this user (the server is root); null or left out: as the server's user. */
  readonly user?: RunAsUser | null;
}

export interface CommandResult {
  readonly exitCode: number;
  readonly signal: NodeJS.Signals | null;
}

const DEFAULT_GRACE_MS = 5_000;

/**
 * Runs a shell command in its own process group, so that stopping it (cancel, timeout) also stops
 * whatever it started: test runners and dev servers love to leave children behind.
 * Rejects with the abort reason when the signal fires.
 */
export function runCommand(command: string, o: CommandOptions): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    if (o.signal.aborted) {
      reject(o.signal.reason);
      return;
    }
    const as = o.user ? { uid: o.user.uid, gid: o.user.gid } : {};
    const child = spawn('/bin/sh', ['-c', command], { cwd: o.cwd, env: o.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'], ...as });
    if (child.pid !== undefined) o.onSpawn?.(child.pid);
    child.stdout.setEncoding('utf8').on('data', (c: string) => o.onOutput('stdout', c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => o.onOutput('stderr', c));
    let killTimer: NodeJS.Timeout | undefined;
    const kill = (sig: NodeJS.Signals): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, sig);
      } catch {
        // Already gone.
      }
    };
    const onAbort = (): void => {
      kill('SIGTERM');
      // A real timer, not the step's clock: the grace is for a real process to exit, which fake time would not hurry.
      killTimer = setTimeout(() => kill('SIGKILL'), o.graceMs ?? DEFAULT_GRACE_MS);
    };
    o.signal.addEventListener('abort', onAbort, { once: true });
    child.on('error', (error) => {
      o.signal.removeEventListener('abort', onAbort);
      reject(error);
    });
    child.on('close', (code, signal) => {
      o.signal.removeEventListener('abort', onAbort);
      if (killTimer) clearTimeout(killTimer);
      if (o.signal.aborted) reject(o.signal.reason);
      else resolve({ exitCode: code ?? 128, signal });
    });
  });
}
