import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lintOnlyConfig } from '../support/ci-config.js';
import { runCli } from '../support/cli.js';
import { fixtureRepo } from '../support/fixture-repo.js';
import { CLI } from '../support/server-process.js';
import { TempDirs } from '../support/temp.js';

/** A line of a Node stack trace: `    at fn (file.js:12:5)`. */
const STACK_LINE = /^\s+at .+:\d+:\d+\)?$/m;

/** A port nothing listens on: taken, then given back. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as { port: number }).port;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

describe('gantry server --database', () => {
  const temp = new TempDirs();
  afterAll(() => temp.cleanup());

  it('refuses what is not a postgres:// URL as a usage error, before making anything', async () => {
    expect(existsSync(CLI), 'run `npm run build` first').toBe(true);
    const root = await temp.make();
    const dataDir = join(root, 'data');
    const result = await runCli(['server', '--port', '0', '--data-dir', dataDir, '--database', 'mysql://u:p@db/x']);
    const output = `${result.stdout}${result.stderr}`;
    expect(result.code, output).toBe(2);
    expect(output).toMatch(/--database must be a postgres:\/\/ URL/);
    expect(output).not.toMatch(STACK_LINE);
    expect(existsSync(dataDir)).toBe(false);
  });

  it('stops with DATABASE_UNREACHABLE naming the address, never the password, when nothing answers there', async () => {
    const root = await temp.make();
    const config = lintOnlyConfig('db-errors');
    const repo = await fixtureRepo(root, { 'gantry.yaml': config, 'api/x.js': 'export {};\n' });
    const port = await closedPort();
    const url = `postgres://gantry:s3cret-Passw0rd@127.0.0.1:${port}/gantry`;
    const result = await runCli(['server', '--port', '0', '--data-dir', join(root, 'data'), '--config', join(repo.workDir, 'gantry.yaml')], { GANTRY_DATABASE_URL: url });
    const output = `${result.stdout}${result.stderr}`;
    expect(result.code, output).toBe(1);
    expect(output).toMatch(/DATABASE_UNREACHABLE/);
    expect(output).toContain(`127.0.0.1:${port}/gantry`);
    expect(output).toMatch(/ECONNREFUSED/);
    expect(output).not.toContain('s3cret-Passw0rd');
    expect(output).not.toMatch(STACK_LINE);
    // Nothing of the store was made in the data folder: no SQLite file stands in for the database.
    expect((await readdir(join(root, 'data')).catch(() => [] as string[])).filter((f) => f.startsWith('gantry.db'))).toEqual([]);
  });
});
