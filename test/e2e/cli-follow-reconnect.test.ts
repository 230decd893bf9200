import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fixtureRepo } from '../support/fixture-repo.js';
import { freePort } from '../support/free-port.js';
import { CLI, startServerProcess } from '../support/server-process.js';
import { TempDirs, until } from '../support/temp.js';

/**
 * `gantry run show <id> -f` as a user runs it, while the server it follows is killed (SIGKILL) and
 * started again on the same data folder and port: the CLI reconnects with the last event id and
 * goes on to the end of the run, each change printed once.
 */
const config = (origin: string, counter: string) => `version: 1
project:
  name: reconnecty
repository:
  url: ${origin}
  defaultBranch: develop
services:
  api:
    path: api
    gates:
      - name: first
        run: echo first >> ${counter}
      - name: slow
        # The attempt the crash interrupts would sleep a minute; the one after the restart is short.
        run: if grep -q slow-start ${counter}; then n=1; else n=60; fi; echo slow-start >> ${counter}; sleep $n
      - name: last
        run: echo last >> ${counter}
environments:
  dev:
    branch: develop
`;

interface Follower {
  readonly child: ChildProcess;
  out(): string;
  err(): string;
  readonly exited: Promise<number | null>;
}

function gantry(args: string[], env: Record<string, string>): Follower {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, out: () => stdout, err: () => stderr, exited };
}

describe('following a run across a server restart', () => {
  const temp = new TempDirs();
  const procs: ChildProcess[] = [];
  afterEach(async () => {
    for (const p of procs.splice(0)) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    await temp.cleanup();
  });

  it('reconnects after the server is killed and started again, then prints the end once and exits 0', async () => {
    expect(existsSync(CLI), 'run `npm run build` first').toBe(true);
    const root = await temp.make();
    const counter = join(root, 'side-effects.log');
    // Gates of a server started as root run as nobody: let them append to the counter.
    await chmod(root, 0o711);
    await writeFile(counter, '', { mode: 0o666 });
    await chmod(counter, 0o666);
    const repo = await fixtureRepo(root, { 'api/index.js': 'export {};\n', 'gantry.yaml': config('.', counter) });
    const configPath = join(root, 'server.yaml');
    await writeFile(configPath, config(repo.originDir, counter));
    const dataDir = join(root, 'data');
    const port = await freePort();

    const first = await startServerProcess(configPath, dataDir, ['--port', String(port)]);
    procs.push(first.child);
    const token = (await readFile(join(dataDir, 'admin.token'), 'utf8')).trim();
    const dispatched = await fetch(`${first.url}/api/v1/dispatch`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ environment: 'dev' }) });
    expect(dispatched.status).toBe(201);
    const { run } = (await dispatched.json()) as { run: { id: number } };

    const f = gantry(['run', 'show', String(run.id), '-f'], { GANTRY_SERVER: first.url, GANTRY_TOKEN: token });
    procs.push(f.child);
    await until('the slow gate to start and be followed', async () => (await readFile(counter, 'utf8')).includes('slow-start') && /✓?.*first/.test(f.out()), 30_000);
    await until('the follower to show the slow gate running', () => /slow\s+running/.test(f.out()), 15_000);
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));
    await until('the follower to say it reconnects', () => f.err().includes('reconnecting'), 15_000);
    expect(f.child.exitCode).toBeNull();

    const second = await startServerProcess(configPath, dataDir, ['--port', String(port)]);
    procs.push(second.child);
    expect(await f.exited).toBe(0);
    const out = f.out();
    expect(f.err()).toMatch(/lost the connection to http:\/\/127\.0\.0\.1:\d+; reconnecting… \(for up to 30s\)\nreconnected\n/);
    expect(f.err().match(/reconnecting/g)).toHaveLength(1);
    expect(out).toMatch(new RegExp(`run #${run.id} .*succeeded`));
    // Each change once: the first gate's success was printed before the crash and not again after it
    // (`run show` then prints every step once more under the run's summary line).
    const live = out.slice(0, out.search(new RegExp(`^run #${run.id} .*succeeded`, 'm')));
    expect(live.match(/first\s+succeeded/g)).toHaveLength(1);
    expect(live, out + f.err()).toMatch(/last\s+succeeded/);
    second.child.kill('SIGTERM');
    await new Promise((r) => second.child.once('exit', r));
  }, 120_000);

  it('gives up with SERVER_UNREACHABLE when the server is not back within GANTRY_RECONNECT_TIMEOUT', async () => {
    const root = await temp.make();
    const counter = join(root, 'side-effects.log');
    await chmod(root, 0o711);
    await writeFile(counter, '', { mode: 0o666 });
    await chmod(counter, 0o666);
    const repo = await fixtureRepo(root, { 'api/index.js': 'export {};\n', 'gantry.yaml': config('.', counter) });
    const configPath = join(root, 'server.yaml');
    await writeFile(configPath, config(repo.originDir, counter));
    const dataDir = join(root, 'data');
    const server = await startServerProcess(configPath, dataDir);
    procs.push(server.child);
    const token = (await readFile(join(dataDir, 'admin.token'), 'utf8')).trim();
    const dispatched = await fetch(`${server.url}/api/v1/dispatch`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ environment: 'dev' }) });
    const { run } = (await dispatched.json()) as { run: { id: number } };
    const f = gantry(['logs', String(run.id), '-f'], { GANTRY_SERVER: server.url, GANTRY_TOKEN: token, GANTRY_RECONNECT_TIMEOUT: '2s' });
    procs.push(f.child);
    await until('the slow gate to start and the follower to print', async () => (await readFile(counter, 'utf8')).includes('slow-start') && f.out().includes('[gate:api:slow]'), 30_000);
    server.child.kill('SIGKILL');
    const started = Date.now();
    const code = await f.exited;
    expect(code).not.toBe(0);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(f.err()).toContain('reconnecting… (for up to 2.0s)');
    expect(f.err()).toContain('SERVER_UNREACHABLE');
  }, 90_000);
});
