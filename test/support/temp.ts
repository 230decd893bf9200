import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keepForSweep, registeredInThisFile, sweepRoot } from './sweep.js';

/**
 * Temporary folders that the test removes after itself (see `cleanup`). When the secret sweep runs
 * (test/support/sweep.ts) and the test file registered a secret value, they are kept for the sweep
 * instead, and removed once it is done; `make(prefix, { sweep: false })` opts a folder out, for one
 * that deliberately holds a secret (a test of leak detection).
 */
export class TempDirs {
  private readonly dirs: Array<{ dir: string; sweep: boolean }> = [];

  async make(prefix = 'gantry-test-', options: { sweep?: boolean } = {}): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), prefix));
    this.dirs.push({ dir, sweep: options.sweep ?? true });
    return dir;
  }

  async cleanup(): Promise<void> {
    const keep = sweepRoot() !== undefined && registeredInThisFile();
    await Promise.all(
      this.dirs.splice(0).map(async ({ dir, sweep }) => {
        if (keep && sweep) keepForSweep(dir);
        else await rm(dir, { recursive: true, force: true });
      }),
    );
  }
}

/** Polls a condition until it holds or the deadline passes: no fixed sleeps in tests. */
export async function until<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 30_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error: unknown) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
