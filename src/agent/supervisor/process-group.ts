import { readFile, readdir } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';

const POLL_MS = 50;
/** After SIGKILL, how long to wait for the exit to be reported before calling the group stopped. */
const KILL_WAIT_MS = 2_000;

function errorCode(error: unknown): string | undefined {
  return error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}

/** Sends a signal to every process of a group. False when the group no longer exists; other errors (EPERM) are thrown. */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (error: unknown) {
    if (errorCode(error) === 'ESRCH') return false;
    throw error;
  }
}

/**
 * Whether any live process remains in the group. `kill(-pgid, 0)` also succeeds for zombies, and
 * an init that does not reap promptly (common in containers) would make every stop wait out its
 * grace period; on Linux /proc tells zombies apart.
 */
export async function groupAlive(pgid: number): Promise<boolean> {
  let exists: boolean;
  try {
    exists = signalGroup(pgid, 0);
  } catch {
    return true;
  }
  if (!exists || process.platform !== 'linux') return exists;
  let pids: string[];
  try {
    pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name));
  } catch {
    return true;
  }
  for (const pid of pids) {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    // Fields after the command name, which may itself contain spaces and parentheses: state ppid pgrp …
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) === pgid && fields[0] !== 'Z' && fields[0] !== 'X') return true;
  }
  return false;
}

/** Waits until the leader has exited and no live process remains in its group; false when `timeoutMs` passed first. */
export async function waitForGroupExit(pgid: number, leaderExited: Promise<void>, timeoutMs: number): Promise<boolean> {
  let leaderDone = false;
  void leaderExited.then(() => {
    leaderDone = true;
  });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (leaderDone && !(await groupAlive(pgid))) return true;
    const left = deadline - Date.now();
    if (left <= 0) return false;
    // Ref'd on purpose: a stop in progress must reach its SIGKILL even if nothing else keeps the agent alive.
    const tick = delay(Math.min(POLL_MS, left));
    await (leaderDone ? tick : Promise.race([leaderExited, tick]));
  }
}

/**
 * SIGTERM to the group (and whatever `alsoTerminate` signals); SIGKILL to the group when something of it still lives after `graceMs`
 * (`onKill` is told first). Resolves once the leader's exit was seen, or shortly after SIGKILL.
 */
export async function terminateGroup(pgid: number, leaderExited: Promise<void>, graceMs: number, onKill: () => void, alsoTerminate?: () => void): Promise<void> {
  signalGroup(pgid, 'SIGTERM');
  // A stopped process (SIGSTOP, a debugger) acts on SIGTERM only once continued, as systemd does it.
  signalGroup(pgid, 'SIGCONT');
  alsoTerminate?.();
  if (await waitForGroupExit(pgid, leaderExited, graceMs)) return;
  onKill();
  signalGroup(pgid, 'SIGKILL');
  await Promise.race([leaderExited, delay(KILL_WAIT_MS, undefined, { ref: false })]);
}
