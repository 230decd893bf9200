import { execFileSync, type ChildProcess } from 'node:child_process';
import { copyFile, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { lintOnlyConfig } from '../support/ci-config.js';
import { fixtureRepo } from '../support/fixture-repo.js';
import { startServerProcess } from '../support/server-process.js';
import { TempDirs } from '../support/temp.js';

/**
 * docs/operations.md, "Backing up", SQLite: `sqlite3 gantry.db ".backup FILE"` while the server runs,
 * and a restore (stop, the copy as gantry.db without -wal and -shm, start) brings back what the
 * database held at the backup and nothing made after it. Run as a person would: the sqlite3 CLI
 * against a running `gantry server` process, the gantry CLI to look.
 */

const temp = new TempDirs();
const servers: ChildProcess[] = [];
const hasSqlite3 = ((): boolean => {
  try {
    execFileSync('sqlite3', ['-version']);
    return true;
  } catch {
    return false;
  }
})();

const stopped = (child: ChildProcess): Promise<void> =>
  new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });

afterAll(async () => {
  await Promise.all(servers.map(stopped));
  await temp.cleanup();
});

describe.skipIf(!hasSqlite3)('backing up the SQLite store as docs/operations.md says (needs the sqlite3 CLI: apt-get install sqlite3)', () => {
  it('restores an online backup taken while the server runs, without what came after it', async () => {
    const root = await temp.make('gantry-backup-');
    const repo = await fixtureRepo(root, { 'gantry.yaml': lintOnlyConfig('backup'), 'api/README': 'api\n' });
    const config = join(repo.workDir, 'gantry.yaml');
    const dataDir = join(root, 'data');
    const first = await startServerProcess(config, dataDir);
    servers.push(first.child);
    const admin = (await readFile(join(dataDir, 'admin.token'), 'utf8')).trim();
    const gantry = (args: string[], url: string): ReturnType<typeof runCli> => runCli(args, { GANTRY_SERVER: url, GANTRY_TOKEN: admin });

    expect((await gantry(['token', 'create', '--user', 'before-backup', '--role', 'viewer'], first.url)).code).toBe(0);
    const backup = join(root, 'gantry-backup.db');
    execFileSync('sqlite3', [join(dataDir, 'gantry.db'), `.backup '${backup}'`]);
    expect((await gantry(['token', 'create', '--user', 'after-backup', '--role', 'viewer'], first.url)).code).toBe(0);
    expect((await gantry(['token', 'list'], first.url)).stdout).toContain('after-backup');

    await stopped(first.child);
    await copyFile(backup, join(dataDir, 'gantry.db'));
    await rm(join(dataDir, 'gantry.db-wal'), { force: true });
    await rm(join(dataDir, 'gantry.db-shm'), { force: true });
    const second = await startServerProcess(config, dataDir);
    servers.push(second.child);

    const list = await gantry(['token', 'list'], second.url);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain('before-backup');
    expect(list.stdout).not.toContain('after-backup');
    const verify = await gantry(['audit', 'verify'], second.url);
    expect(verify.stdout).toContain('chain intact');
  });
});
