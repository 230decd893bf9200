import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fixtureRepo, pushChange } from '../support/fixture-repo.js';
import { CLI } from '../support/server-process.js';
import { TempDirs, until } from '../support/temp.js';

const CONFIG = `version: 1
project:
  name: unread
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

/**
 * Preloaded into the server: on SIGUSR2 it emits a Node warning, which Node writes to stderr, as it
 * wrote the MaxListenersExceededWarning that ended a kept demo server (issue 18, item 4).
 */
const WARN_ON_SIGNAL = `process.on('SIGUSR2', () => process.emitWarning('a late warning', 'LateWarning'));\n`;

describe('gantry server whose output nobody reads any more', () => {
  const temp = new TempDirs();
  let child: ChildProcess | undefined;

  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child?.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    }
    await temp.cleanup();
  });

  it('keeps serving when its stdout and stderr pipes are closed and it writes to them', async () => {
    const root = await temp.make();
    const repo = await fixtureRepo(root, { 'gantry.yaml': CONFIG, 'api/a.js': '1\n' });
    const configPath = join(root, 'server.yaml');
    await writeFile(configPath, CONFIG.replace('url: .', `url: ${repo.originDir}`));
    const preload = join(root, 'warn-on-signal.cjs');
    await writeFile(preload, WARN_ON_SIGNAL);
    const dataDir = join(root, 'data');
    const server = spawn(process.execPath, [CLI, 'server', '--config', configPath, '--data-dir', dataDir, '--port', '0', '--poll', '1h'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, GANTRY_LOG_LEVEL: 'warn', NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${preload}` },
    });
    child = server;
    let output = '';
    server.stdout.on('data', (c: Buffer) => (output += c.toString()));
    server.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const url = await until(`the server to listen (output so far: ${output})`, () => /listening on (http:\/\/\S+)/.exec(output)?.[1], 30_000);

    // The reader goes away (as a demo that kept its server did), then the server writes to both.
    server.stdout.destroy();
    server.stderr.destroy();
    server.kill('SIGUSR2');
    const token = (await readFile(join(dataDir, 'admin.token'), 'utf8')).trim();
    await rename(repo.originDir, `${repo.originDir}.moved`);
    // A poll of a vanished origin is logged as a warning (pino, to stderr).
    const notified = await fetch(`${url}/api/v1/sources/notify`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(notified.status).toBe(202);
    await rename(`${repo.originDir}.moved`, repo.originDir);

    // Still serving, and still doing its work: a push it is told about gets a CI run that finishes.
    await until('the server to answer after both writes', async () => (await fetch(`${url}/healthz`)).ok, 10_000);
    await pushChange(repo, 'feature/unread', { 'api/a.js': '2\n' }, 'while nobody reads');
    await fetch(`${url}/api/v1/sources/notify`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    const done = await until('the run of the push to finish', async () => {
      const res = await fetch(`${url}/api/v1/runs?branch=feature%2Funread&limit=1`, { headers: { authorization: `Bearer ${token}` } });
      const run = ((await res.json()) as { runs: Array<{ state: string }> }).runs[0];
      return run && ['succeeded', 'failed', 'cancelled'].includes(run.state) ? run : undefined;
      // A one-gate run; the margin is for a machine busy with other test files.
    }, 60_000);
    expect(done.state).toBe('succeeded');
    expect(server.exitCode).toBeNull();
    expect(server.signalCode).toBeNull();
  }, 120_000);
});
