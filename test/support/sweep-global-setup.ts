import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SWEEP_ROOT_ENV } from './sweep-root.js';
import { SUITE_PID_FILE, SUITE_ROOT_ENV } from './suite-processes.js';

/**
 * The process sweep's root (test/sweep/process-sweep.test.ts): TMPDIR names it for the workers
 * and all they start, so every temporary folder of the run, and the work folders of the servers
 * tests start, are in it; a process whose folder, command line or environment names it is the
 * suite's. Mode 1777, as /tmp: gates and revisions running as another user (issue 10, item 6)
 * inherit TMPDIR and must be able to write their own temporary files in it.
 */
async function suiteFolder(): Promise<{ root: string; restore: () => void }> {
  const before = process.env.TMPDIR;
  const root = await mkdtemp(join(tmpdir(), 'gantry-suite-'));
  await chmod(root, 0o1777);
  await writeFile(join(root, SUITE_PID_FILE), String(process.pid));
  process.env[SUITE_ROOT_ENV] = root;
  process.env.TMPDIR = root;
  return {
    root,
    restore: () => {
      delete process.env[SUITE_ROOT_ENV];
      if (before === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = before;
    },
  };
}

/**
 * The root globalSetup (vitest.config.ts): makes the secret sweep's root for this run and names it
 * in GANTRY_TEST_SWEEP_ROOT, which test workers inherit (vitest builds their environment from this
 * process's after global setups ran). The teardown, after every project ran (the sweep last),
 * removes the root and every folder kept for the sweep, whether or not the sweep ran.
 */
export default async function setup(): Promise<() => Promise<void>> {
  const root = await mkdtemp(join(tmpdir(), 'gantry-sweep-'));
  process.env[SWEEP_ROOT_ENV] = root;
  const suite = await suiteFolder();
  return async () => {
    // Kept folders live in it: GANTRY_KEEP_SWEEP keeps it too.
    if (!process.env.GANTRY_KEEP_SWEEP) await rm(suite.root, { recursive: true, force: true });
    suite.restore();
    const keptList = join(root, 'kept.txt');
    const kept = existsSync(keptList) ? readFileSync(keptList, 'utf8').split('\n').filter(Boolean).map((line) => line.split('\t')[0] ?? '') : [];
    if (process.env.GANTRY_KEEP_SWEEP) {
      process.stdout.write(`secret sweep: kept ${root} and the ${kept.length} folders in its kept.txt (GANTRY_KEEP_SWEEP)\n`);
      return;
    }
    await Promise.all([...kept, root].map((dir) => rm(dir, { recursive: true, force: true })));
    delete process.env[SWEEP_ROOT_ENV];
  };
}
