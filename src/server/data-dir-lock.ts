import { readFileSync } from 'node:fs';
import { link, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LockError } from '../errors/index.js';

/** What the lock file holds: the holder's pid and, on Linux, its start time, so a reused pid is not mistaken for the holder. */
interface Holder {
  readonly pid: number;
  readonly started: string | null;
}

const LOCK_FILE = 'server.lock';

const errorCode = (error: unknown): string | undefined => (error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : undefined);

/** Field 22 of /proc/<pid>/stat (start time in clock ticks since boot); null off Linux or when the process is gone. */
function startTimeOf(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

function isAlive(holder: Holder): boolean {
  try {
    process.kill(holder.pid, 0);
  } catch (error: unknown) {
    // EPERM: it exists, as another user.
    if (errorCode(error) !== 'EPERM') return false;
  }
  const started = startTimeOf(holder.pid);
  return holder.started === null || started === null || started === holder.started;
}

function parse(text: string): Holder | null {
  try {
    const value = JSON.parse(text) as Partial<Holder>;
    return Number.isSafeInteger(value.pid) && (value.pid ?? 0) > 0 ? { pid: value.pid as number, started: typeof value.started === 'string' ? value.started : null } : null;
  } catch {
    return null;
  }
}

/**
 * The data folder's lock: one `gantry server` per folder, or two would run every pipeline twice.
 * The file is made exclusively (link(2)); a lock whose holder is gone (a crash, a kill -9) is taken over,
 * one taker at a time (a second exclusive file guards the takeover, so two starts cannot both win).
 */
export class DataDirLock {
  private constructor(private readonly file: string) {}

  static async acquire(dataDir: string): Promise<DataDirLock> {
    const file = join(dataDir, LOCK_FILE);
    const mine = JSON.stringify({ pid: process.pid, started: startTimeOf(process.pid) });
    for (let attempt = 0; attempt < 3; attempt++) {
      if (await createExclusive(file, mine)) return new DataDirLock(file);
      const holder = parse(await readFile(file, 'utf8').catch(() => ''));
      if (holder !== null && isAlive(holder)) throw locked(dataDir, holder.pid);
      await takeOver(file, holder);
    }
    throw new LockError('DATA_DIR_LOCKED', `the data folder ${dataDir} is locked and its lock could not be taken over`, { where: file, hint: 'Another gantry server may be starting on it; try again, or remove the lock file if no server runs.' });
  }

  /** Removes the lock if it is still ours. */
  async release(): Promise<void> {
    const holder = parse(await readFile(this.file, 'utf8').catch(() => ''));
    if (holder?.pid === process.pid) await unlink(this.file).catch(() => undefined);
  }
}

/** Written whole to a file of our own, then linked into place: link(2) fails if the name exists, and nobody ever reads a half-written lock. */
async function createExclusive(file: string, content: string): Promise<boolean> {
  const draft = `${file}.${process.pid}.tmp`;
  await writeFile(draft, content, { mode: 0o600 });
  try {
    await link(draft, file);
    return true;
  } catch (error: unknown) {
    if (errorCode(error) === 'EEXIST') return false;
    throw error;
  } finally {
    await unlink(draft).catch(() => undefined);
  }
}

/** Moves a stale lock aside, under a short exclusive guard, only if it still names the same dead holder. */
async function takeOver(file: string, stale: Holder | null): Promise<void> {
  const guard = `${file}.takeover`;
  if (!(await createExclusive(guard, String(process.pid)))) {
    const guardPid = Number(await readFile(guard, 'utf8').catch(() => ''));
    // A taker that died mid-takeover leaves its guard; anyone after it may remove it.
    if (!(guardPid > 0 && isAlive({ pid: guardPid, started: null }))) await unlink(guard).catch(() => undefined);
    return;
  }
  try {
    const now = parse(await readFile(file, 'utf8').catch(() => ''));
    if (now?.pid === stale?.pid && !(now !== null && isAlive(now))) await rename(file, `${file}.stale`).catch(() => undefined);
  } finally {
    await unlink(guard).catch(() => undefined);
  }
}

function locked(dataDir: string, pid: number): LockError {
  return new LockError('DATA_DIR_LOCKED', `another gantry server (pid ${pid}) is using the data folder ${dataDir}`, {
    where: join(dataDir, LOCK_FILE),
    hint: `Stop that server first (kill ${pid}), or give this one its own folder with --data-dir.`,
    details: { pid },
  });
}
