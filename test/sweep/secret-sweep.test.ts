import { existsSync } from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sweepRoot } from '../support/sweep-root.js';
import { filesUnder, findSecrets } from '../support/sweep-search.js';

/**
 * The global secret sweep (issue 5): after every other test file has run (the `sweep` project runs
 * last, vitest.config.ts), no secret value a test gave Gantry is found, as is, base64 (with and
 * without padding, base64url), URL-encoded or JSON-escaped, in any file those tests left: databases
 * with their -wal and -journal files, data dirs (agent state and logs, artifacts, workspaces),
 * server logs, what the CLI printed, and every body a stand-in notification receiver got.
 * test/support/sweep.ts records all of it.
 */

interface Registered {
  readonly value: string;
  readonly file: string;
}

/**
 * Test files that give Gantry secrets, with what the sweep must find of theirs when they ran: at
 * least `values` registered values, a kept folder holding a database, and the other kinds named.
 * It is what makes the sweep fail when the wiring breaks rather than pass on nothing.
 */
const CONTRIBUTORS: Readonly<Record<string, { values: number; kinds: ReadonlyArray<'server log' | 'captured' | 'cli'> }>> = {
  'test/e2e/secrets.test.ts': { values: 5, kinds: ['server log', 'cli'] },
  'test/e2e/config-accept.test.ts': { values: 2, kinds: ['server log', 'captured', 'cli'] },
  'test/integration/notify.test.ts': { values: 4, kinds: ['captured'] },
  'test/integration/gates.test.ts': { values: 1, kinds: ['server log'] },
  'test/integration/github.test.ts': { values: 2, kinds: ['server log'] },
  'test/integration/roles.test.ts': { values: 1, kinds: ['server log'] },
  'test/e2e/revision-log-secrets.test.ts': { values: 1, kinds: ['server log'] },
  'test/e2e/argv-secrets.test.ts': { values: 1, kinds: ['server log'] },
  'test/e2e/multiline-secrets.test.ts': { values: 5, kinds: ['server log', 'cli'] },
};

const lines = async (file: string): Promise<string[]> => (existsSync(file) ? (await readFile(file, 'utf8')).split('\n').filter(Boolean) : []);

describe('the global secret sweep', () => {
  const root = sweepRoot();

  it('finds no secret value that tests gave Gantry in any store, data dir, log, CLI output or notification', async (context) => {
    if (!root) return context.skip('no sweep root: vitest.config.ts makes one for the whole run');
    const ran = new Set(await lines(join(root, 'ran.txt')));
    if (ran.size === 0) return context.skip('no other test file ran: run the sweep with the suite (npm test)');
    const started = Date.now();

    const registered: Registered[] = [];
    for (const file of existsSync(join(root, 'registry')) ? await readdir(join(root, 'registry')) : []) {
      for (const line of await lines(join(root, 'registry', file))) registered.push(JSON.parse(line) as Registered);
    }
    const kept = (await lines(join(root, 'kept.txt'))).map((line) => {
      const [dir = '', file = ''] = line.split('\t');
      return { dir, file };
    });
    const recorded = async (folder: string) => (existsSync(join(root, folder)) ? (await readdir(join(root, folder))).map((f) => join(root, folder, f)) : []);
    const captured = await recorded('captured');
    const cli = await recorded('cli');

    const values = [...new Set(registered.map((r) => r.value))];
    const files = [...(await Promise.all(kept.map((k) => filesUnder(k.dir)))).flat(), ...captured, ...cli];
    const { hits, bytes } = await findSecrets(files, values);
    process.stdout.write(`secret sweep: ${values.length} values in ${files.length} files, ${(bytes / 1e6).toFixed(1)} MB, ${Date.now() - started} ms\n`);
    expect(hits.map((h) => `${h.file}: ${h.how} form of a value registered by ${registered.find((r) => r.value === h.value)?.file ?? '?'}`), 'secret values found in plain sight').toEqual([]);

    // It searched what it should have: every contributor that ran left values, a database and its kinds of output.
    for (const [file, expected] of Object.entries(CONTRIBUTORS)) {
      if (!ran.has(file)) continue;
      expect(registered.filter((r) => r.file === file).length, `values registered by ${file}`).toBeGreaterThanOrEqual(expected.values);
      const theirs = (await Promise.all(kept.filter((k) => k.file === file).map((k) => filesUnder(k.dir)))).flat();
      expect(theirs.some((f) => basename(f) === 'gantry.db'), `a database kept by ${file}`).toBe(true);
      if (expected.kinds.includes('server log')) expect(theirs.some((f) => /^server-\d+-\d+\.log$/.test(basename(f))), `a server log kept by ${file}`).toBe(true);
      const mentions = async (records: string[]) => (await Promise.all(records.map((r) => readFile(r, 'utf8')))).some((text) => text.includes(`(${file}) ---`));
      if (expected.kinds.includes('captured')) expect(await mentions(captured), `notifications captured by ${file}`).toBe(true);
      if (expected.kinds.includes('cli')) expect(await mentions(cli), `CLI output captured for ${file}`).toBe(true);
    }

    // Passed: nothing more to keep (the globalSetup's teardown removes whatever is left either way).
    if (!process.env.GANTRY_KEEP_SWEEP) await Promise.all([...kept.map((k) => k.dir), root].map((dir) => rm(dir, { recursive: true, force: true })));
  });
});
