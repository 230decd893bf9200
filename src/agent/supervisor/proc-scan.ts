import { readFileSync } from 'node:fs';
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

/** What /proc says of a pid: its state letter and its start time (field 22, clock ticks after boot); undefined when it is gone. */
export interface ProcIdentity {
  readonly state: string;
  readonly startTime: number;
}

function parseIdentity(stat: string): ProcIdentity | undefined {
  // Fields after the command name, which may itself contain spaces and parentheses: field 3 (state) is the first.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  const startTime = Number(fields[19]);
  return state === undefined || state === '' || !Number.isSafeInteger(startTime) ? undefined : { state, startTime };
}

export async function identityOf(pid: number): Promise<ProcIdentity | undefined> {
  return parseIdentity(await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => ''));
}

/** The same, at once: read right after spawn, while the child cannot have been reaped yet. */
export function identityOfSync(pid: number): ProcIdentity | undefined {
  try {
    return parseIdentity(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** The process that started at `startTime` still runs as `pid` (not a zombie, and the pid not reused since). */
export async function sameProcessAlive(pid: number, startTime: number): Promise<boolean> {
  const found = await identityOf(pid);
  return found !== undefined && found.state !== 'Z' && found.state !== 'X' && found.startTime === startTime;
}
