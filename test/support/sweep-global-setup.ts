import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SWEEP_ROOT_ENV } from './sweep-root.js';

/**
 * The root globalSetup (vitest.config.ts): makes the secret sweep's root for this run and names it
 * in GANTRY_TEST_SWEEP_ROOT, which test workers inherit (vitest builds their environment from this
 * process's after global setups ran). The teardown, after every project ran (the sweep last),
 * removes the root and every folder kept for the sweep, whether or not the sweep ran.
 */
export default async function setup(): Promise<() => Promise<void>> {
  const root = await mkdtemp(join(tmpdir(), 'gantry-sweep-'));
  process.env[SWEEP_ROOT_ENV] = root;
  return async () => {
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
