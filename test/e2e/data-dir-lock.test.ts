import type { ChildProcess } from 'node:child_process';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { lintOnlyConfig } from '../support/ci-config.js';
import { fixtureRepo } from '../support/fixture-repo.js';
import { startServerProcess } from '../support/server-process.js';
import { TempDirs, until } from '../support/temp.js';

/**
 * Issue 10, item 12: one `gantry server` per data folder. Both servers are the CLI as a process,
 * as a user starts them; the second one must stop before it opens or writes anything there.
 */

/**
 * Every file under `dir` with its size and mtime: what "changes nothing" is checked against. The git
 * mirror is left out: only the first server's git processes write there, and a git process forked just
 * before the first server was frozen is not frozen with it (seen once on a loaded machine: FETCH_HEAD).
 */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    if (path.startsWith(join(dir, 'repos') + '/')) continue;
    const s = await stat(path);
    out[path] = `${s.size}:${s.mtimeMs}`;
  }
  return out;
}

/** Children of `pid` that still run (a stopped parent cannot reap, so finished ones stay as zombies). */
async function liveChildren(pid: number): Promise<number[]> {
  const children = (await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8')).trim().split(' ').filter(Boolean).map(Number);
  const states = await Promise.all(children.map(async (child) => (await readFile(`/proc/${child}/stat`, 'utf8').catch(() => '')).split(') ')[1]?.[0]));
  return children.filter((_, i) => states[i] !== undefined && states[i] !== 'Z');
}

const exited = (child: ChildProcess): Promise<void> => new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));

describe('the data folder lock', () => {
  const temp = new TempDirs();
  const children: ChildProcess[] = [];
  let configPath = '';
  let dataDir = '';

  beforeAll(async () => {
    const root = await temp.make('gantry-lock-');
    const repo = await fixtureRepo(root, { 'gantry.yaml': lintOnlyConfig('lock'), 'api/README.md': 'api\n' });
    configPath = join(root, 'server.yaml');
    await writeFile(configPath, lintOnlyConfig('lock').replace('url: .', `url: ${repo.originDir}`));
    dataDir = join(root, 'data');
  });

  afterAll(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await Promise.all(children.map(exited));
    await temp.cleanup();
  });

  it('refuses a second server on the same data folder, naming the first one’s pid, with exit 1 and no change to the folder', async () => {
    const first = await startServerProcess(configPath, dataDir);
    children.push(first.child);
    const pid = first.child.pid ?? 0;
    try {
      // Frozen (with no git or gate child still at work), so every change to the folder would be the second server's.
      process.kill(pid, 'SIGSTOP');
      await until('the first server to have no child process at work', async () => (await liveChildren(pid)).length === 0, 10_000);
      const before = await snapshot(dataDir);
      let second;
      let after;
      try {
        second = await runCli(['server', '--config', configPath, '--data-dir', dataDir, '--port', '0', '--poll', '1h']);
        // Read while the first server is still frozen: once continued, its own work (a poll, a look at agents) may write.
        after = await snapshot(dataDir);
      } finally {
        process.kill(pid, 'SIGCONT');
      }
      expect(second.code).toBe(1);
      expect(second.stderr).toContain('DATA_DIR_LOCKED');
      expect(second.stderr).toContain(`pid ${pid}`);
      expect(second.stderr).toMatch(/hint: .*--data-dir/);
      expect(second.stderr).not.toMatch(/\n\s+at /);
      expect(second.stdout).not.toContain('admin token');
      expect(second.stdout).not.toContain('listening');
      expect(after).toEqual(before);

      // The first server is unharmed and still answers.
      const health = await fetch(`${first.url}/healthz`);
      expect(health.status).toBe(200);
    } finally {
      // Whatever failed above, the next test must not meet this server's lock.
      first.child.kill('SIGTERM');
      await exited(first.child);
    }
  });

  it('takes over the lock a killed server left, and frees it on a clean stop', async () => {
    const crashed = await startServerProcess(configPath, dataDir);
    children.push(crashed.child);
    crashed.child.kill('SIGKILL');
    await exited(crashed.child);
    expect(JSON.parse(await readFile(join(dataDir, 'server.lock'), 'utf8'))).toMatchObject({ pid: crashed.child.pid });

    const next = await startServerProcess(configPath, dataDir);
    children.push(next.child);
    expect(JSON.parse(await readFile(join(dataDir, 'server.lock'), 'utf8'))).toMatchObject({ pid: next.child.pid });
    expect((await runCli(['server', '--config', configPath, '--data-dir', dataDir, '--port', '0'])).stderr).toContain(`pid ${next.child.pid}`);

    next.child.kill('SIGTERM');
    await exited(next.child);
    await until('the lock file to be removed', async () => !(await readdir(dataDir)).includes('server.lock'), 5_000);
  });
});
