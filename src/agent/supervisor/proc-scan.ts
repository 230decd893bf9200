import { readdir, readFile } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';

const KILL_POLL_MS = 25;

/** Pids listed in /proc (Linux); empty elsewhere. */
export async function allPids(): Promise<number[]> {
  const names = await readdir('/proc').catch(() => [] as string[]);
  return names.filter((name) => /^\d+$/.test(name)).map(Number);
}

/** Whether the process exists and is not a zombie (which holds no port and no file, and only waits to be reaped). */
export async function isLive(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  // The state follows the command name, which may itself contain spaces and parentheses.
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state !== '' && state !== 'Z' && state !== 'X';
}

/** Signals each pid; one that is already gone is no error. */
export function signalEach(pids: readonly number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // Gone meanwhile (ESRCH), or not ours to signal (EPERM): nothing more to do for it.
    }
  }
}

/**
 * Kills a containment's members until none is left or the deadline passes (true when none is left):
 * a member may fork while it is being killed, so one pass is not enough.
 */
export async function killUntilGone(members: () => Promise<number[]>, killOnce: (left: number[]) => Promise<void>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = await members();
    if (left.length === 0) return true;
    await killOnce(left);
    if (Date.now() >= deadline) return false;
    await delay(KILL_POLL_MS);
  }
}

export const errorCode = (error: unknown): string | undefined => (error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : undefined);

/** The process group of a pid, or undefined when it is gone. */
export async function groupOf(pid: number): Promise<number | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  const pgrp = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2];
  return pgrp === undefined ? undefined : Number(pgrp);
}
