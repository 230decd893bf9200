import { open, readFile, rm, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { isAlive } from './agent-probe.js';

/** A lock older than this is taken to be left by a crash, whatever its pid says. */
const STALE_MS = 60_000;
const WAIT_STEP_MS = 100;

async function stale(file: string): Promise<boolean> {
  const text = await readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) return false;
  const [pid, at] = text.trim().split(' ').map(Number);
  return !pid || !at || !isAlive(pid) || Date.now() - at > STALE_MS;
}

/**
 * Runs `fn` while holding a lock file (made with O_EXCL, so one process at a time has it). Several
 * servers sharing one agents folder take turns starting an agent: the second one waits, then finds
 * the agent the first one started, instead of starting a second that fights it for the ports.
 */
export async function withLaunchLock<T>(file: string, fn: () => Promise<T>, timeoutMs = 45_000): Promise<T> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const handle = await open(file, 'wx', 0o600);
      await handle.writeFile(`${process.pid} ${Date.now()}\n`);
      await handle.close();
      break;
    } catch (error: unknown) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (await stale(file)) {
        await rm(file, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`another process holds ${file} for longer than ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, WAIT_STEP_MS));
    }
  }
  try {
    return await fn();
  } finally {
    await rm(file, { force: true });
  }
}
