import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MASK } from '../../src/secrets/redactor.js';
import { cliEntry } from '../../src/targets/local/agent-launcher.js';
import { runCli } from '../support/cli.js';
import { basePort } from '../support/deploy-fixture.js';
import { fixtureRepo, pushChange } from '../support/fixture-repo.js';
import type { ScratchRepo } from '../../src/cli/demo/scratch-repo.js';
import { CLI } from '../support/server-process.js';
import { secretValue } from '../support/sweep.js';
import { TempDirs, until } from '../support/temp.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

/**
 * `gantry logs <env> <service>` as a user runs it: the built CLI as a process against a real
 * server whose local target runs a real service (`npm run build` first). The service prints its
 * secret at start (the target masks it) and one line per request, so the test decides when a new
 * line appears.
 */
const SERVICE = `import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
const version = readFileSync('./version', 'utf8').trim();
console.log('start ' + version + ' key=' + process.env.API_KEY);
let served = 0;
const server = createServer((req, res) => {
  if (req.url === '/healthz') { res.end('ok'); return; }
  served++;
  // A note in the query is printed as is: how a service comes to print a value it was never given as a secret.
  const note = req.url.startsWith('/?note=') ? ' note=' + decodeURIComponent(req.url.slice(7)) : '';
  console.log('request ' + served + ' ' + version + note);
  res.end(version);
});
server.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

const config = (port: number): string => `version: 1
project:
  name: logs-shop
repository:
  url: .
  defaultBranch: develop
services:
  api:
    path: api
    build:
      run: mkdir -p out && cp server.mjs version out/
      output: out
    run:
      command: node server.mjs
      port: ${port}
    health:
      path: /healthz
      interval: 100ms
      deadline: 5s
    secrets: [API_KEY]
environments:
  dev:
    branch: develop
    strategy: rolling
    secrets: [API_KEY]
    verify:
      - kind: health
`;

/** A `gantry logs … --follow` process, its output collected as it comes. */
function follow(args: string[], env: Record<string, string>): { child: ChildProcess; out: () => string; err: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? -1 : null))));
  return { child, out: () => stdout, err: () => stderr, exited };
}

describe('gantry logs <env> <service>', () => {
  const temp = new TempDirs();
  const port = basePort();
  const secret = secretValue('service-logs');
  // Not registered with the secret sweep: the service prints it into its own output on purpose, and the agent,
  // never given it, keeps that output as written (docs/agent.md); what is checked is that no answer carries it.
  const other = `other-token ${randomBytes(12).toString('base64')}`;
  let t: TestServer;
  let repo: ScratchRepo;
  let env: Record<string, string> = {};
  const started: ChildProcess[] = [];
  const gantry = (args: string[]) => runCli(args, env);
  const request = async (): Promise<string> => (await fetch(`http://127.0.0.1:${port}/`)).text();

  beforeAll(async () => {
    if (!existsSync(cliEntry())) throw new Error(`${cliEntry()} is missing: run \`npm run build\` before this test file`);
    const root = await temp.make();
    repo = await fixtureRepo(root, { 'gantry.yaml': config(port), 'api/server.mjs': SERVICE, 'api/version': 'v1\n' });
    t = await startTestServer(root, repo, config(port));
    env = { GANTRY_SERVER: t.server.url, GANTRY_TOKEN: t.token };
    const set = await t.server.app.inject({ method: 'PUT', url: '/api/v1/secrets/dev/API_KEY', headers: { authorization: `Bearer ${t.token}` }, payload: { value: secret } });
    expect(set.statusCode, set.body).toBe(200);
    // Stored, but never given to the service: the agent does not know it, the server masks it anyway.
    const stored = await t.server.app.inject({ method: 'PUT', url: '/api/v1/secrets/shared/OTHER_TOKEN', headers: { authorization: `Bearer ${t.token}` }, payload: { value: other } });
    expect(stored.statusCode, stored.body).toBe(200);
    await pushChange(repo, 'develop', { 'api/version': 'v2\n' }, 'v2', 'develop');
    const run = await t.finished((await t.runFor('develop')).id, 120_000);
    expect(run.run.state, JSON.stringify(run.run.error)).toBe('succeeded');
  }, 180_000);

  afterEach(async () => {
    // No follower outlives its test, whatever the assertions did.
    for (const child of started.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  afterAll(async () => {
    await t.server.close({ stopAgents: true });
    await temp.cleanup();
  });

  it('prints exactly the last N lines with --tail, the secret masked', async () => {
    for (let i = 0; i < 4; i++) expect(await request()).toBe('v2');
    await until('the fourth request in the output', async () => (await gantry(['logs', 'dev', 'api', '--tail', '20'])).stdout.includes('request 4 v2'), 10_000, 100);
    const r = await gantry(['logs', 'dev', 'api', '--tail', '3']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('request 2 v2\nrequest 3 v2\nrequest 4 v2\n');
    expect(r.stderr).toMatch(/dev\/api r1, last 3 lines/);
    // The older forms: <env>/<service> and --lines.
    expect((await gantry(['logs', 'dev/api', '--lines', '1'])).stdout).toBe('request 4 v2\n');
    const all = await gantry(['logs', 'dev', 'api']);
    expect(all.stdout).toContain(`start v2 key=${MASK}\n`);
    expect(all.stdout + (await gantry(['status', 'dev', '-o', 'json'])).stdout).not.toContain(secret);
    const none = await gantry(['logs', 'dev', 'nope']);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/NOT_FOUND.*dev does not deploy a service "nope"/);
  });

  it('masks a stored secret the service prints without having been given it', async () => {
    await fetch(`http://127.0.0.1:${port}/?note=${encodeURIComponent(other)}`);
    const line = await until('the line with the note', async () => {
      const r = await gantry(['logs', 'dev', 'api', '--tail', '1']);
      return r.stdout.includes('note=') ? r.stdout : undefined;
    }, 10_000, 100);
    expect(line).toMatch(/^request \d+ v2 note=/);
    expect(line).toBe(`${line.slice(0, line.indexOf('note='))}note=${MASK}\n`);
    expect(line).not.toContain(other);
  });

  it('follows new lines as the service writes them, then a new live revision after a deploy, until killed', async () => {
    const f = follow(['logs', 'dev', 'api', '--follow', '--tail', '1'], env);
    started.push(f.child);
    await until('the last line so far', () => (f.out().includes('request ') ? true : undefined), 15_000, 50);
    const before = f.out();
    const served = Number(/request (\d+) v2/.exec(before)?.[1]);
    expect(before.trim().split('\n')).toHaveLength(1);
    await request();
    await until(`request ${served + 1} to be followed`, () => (f.out().includes(`request ${served + 1} v2\n`) ? true : undefined), 15_000, 50);

    await pushChange(repo, 'develop', { 'api/version': 'v3\n' }, 'v3', 'develop');
    const run = await t.finished((await t.runFor('develop', (await t.api<{ runs: Array<{ id: number }> }>('GET', '/api/v1/runs?limit=1')).body.runs[0]?.id)).id, 120_000);
    expect(run.run.state).toBe('succeeded');
    await until('the switch to r2 to be said', () => (f.err().includes('r2 is live now (was r1); following r2') ? true : undefined), 15_000, 50);
    await request();
    await until('the new revision\'s lines', () => (f.out().includes('request 1 v3\n') ? true : undefined), 15_000, 50);
    expect(f.out()).toContain(`start v3 key=${MASK}\n`);
    expect(f.out()).not.toContain(secret);
    expect(f.out()).not.toContain(other);
    // Every line once: nothing sent twice by the overlap.
    const lines = f.out().trim().split('\n');
    expect(new Set(lines).size).toBe(lines.length);

    f.child.kill('SIGINT');
    expect(await f.exited).not.toBeNull();
  }, 180_000);

  it('does not keep the server from stopping: the follow reconnects, and gives up when the server stays away', async () => {
    await request();
    const f = follow(['logs', 'dev', 'api', '-f', '--tail', '1'], { ...env, GANTRY_RECONNECT_TIMEOUT: '2s' });
    started.push(f.child);
    await until('the last line so far', () => (f.out().includes('request ') ? true : undefined), 15_000, 50);
    await t.server.close({ stopAgents: true });
    expect(await f.exited).not.toBe(0);
    expect(f.err()).toContain('reconnecting… (for up to 2.0s)');
    expect(f.err()).toContain('SERVER_UNREACHABLE');
  }, 60_000);
});
