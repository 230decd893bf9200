import { createServer, type Server } from 'node:net';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { fixtureRepo, pushChange } from '../support/fixture-repo.js';
import { startServerProcess, type ServerProcess } from '../support/server-process.js';
import { TempDirs, until } from '../support/temp.js';

const CONFIG = `version: 1
project:
  name: hooked
repository:
  url: .
  defaultBranch: develop
services:
  api:
    path: api
    gates:
      - name: lint
        run: "true"
`;

/** Stops a server process and waits until it is gone (its port is free again). */
async function stop(s: ServerProcess): Promise<void> {
  if (s.child.exitCode !== null || s.child.signalCode !== null) return;
  const exited = new Promise((r) => s.child.once('exit', r));
  s.child.kill('SIGTERM');
  await exited;
}

describe('the git hooks installed in the origin', () => {
  const temp = new TempDirs();
  const servers: ServerProcess[] = [];
  let squatter: Server | undefined;

  afterAll(async () => {
    for (const s of servers) await stop(s);
    await new Promise((r) => (squatter ? squatter.close(r) : r(undefined)));
    await temp.cleanup();
  });

  it('reach a server restarted on a new port (--port 0): the push is checked and its run starts at once', async () => {
    const root = await temp.make();
    const repo = await fixtureRepo(root, { 'gantry.yaml': CONFIG, 'api/a.js': '1\n' });
    const configPath = join(root, 'server.yaml');
    await writeFile(configPath, CONFIG.replace('url: .', `url: ${repo.originDir}`));
    const dataDir = join(root, 'data');
    // The source poll is an hour: only the post-receive hook can start a run within the test.
    const first = await startServerProcess(configPath, dataDir);
    servers.push(first);

    // As an operator installs them: the CLI finds the local server through the data dir's server.json.
    const installed = await runCli(['--data-dir', dataDir, 'hook', 'install', repo.originDir]);
    expect(installed.code, installed.stderr).toBe(0);
    const postReceive = await readFile(join(repo.originDir, 'hooks', 'post-receive'), 'utf8');
    expect(postReceive).toContain(join(dataDir, 'server.json'));

    await stop(first);
    // Whatever now listens on the old port must hear nothing from the hooks.
    const oldPort = Number(new URL(first.url).port);
    let strayConnections = 0;
    squatter = createServer((socket) => {
      strayConnections += 1;
      socket.destroy();
    });
    await new Promise<void>((resolve, reject) => {
      squatter?.once('error', reject);
      squatter?.listen(oldPort, '127.0.0.1', resolve);
    });

    const second = await startServerProcess(configPath, dataDir);
    servers.push(second);
    expect(second.url).not.toBe(first.url);

    // The pre-receive hook fails closed: the push is only accepted if it reached the new address.
    await pushChange(repo, 'feature/after-restart', { 'api/a.js': '2\n' }, 'after the restart');
    const token = (await readFile(join(dataDir, 'admin.token'), 'utf8')).trim();
    const run = await until('a run for the push, started by the post-receive hook', async () => {
      const res = await fetch(`${second.url}/api/v1/runs?branch=feature%2Fafter-restart&limit=1`, { headers: { authorization: `Bearer ${token}` } });
      const { runs } = (await res.json()) as { runs: Array<{ id: number; branch: string }> };
      return runs[0];
    }, 15_000);
    expect(run.branch).toBe('feature/after-restart');
    expect(strayConnections).toBe(0);
  }, 90_000);
});
