import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EnvironmentStatusBody } from '../../src/cli/commands/status-table.js';
import { cliEntry } from '../../src/targets/local/agent-launcher.js';
import { runCli, type CliResult } from '../support/cli.js';
import { CLI } from '../support/server-process.js';
import { basePort } from '../support/deploy-fixture.js';
import { fixtureRepo, pushChange } from '../support/fixture-repo.js';
import { TempDirs, until } from '../support/temp.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

/**
 * `gantry status <env>` as a user runs it: the built CLI as a process against a real server that
 * deployed a real service through a real `gantry agent` (`npm run build` first). The service
 * refuses to start once the file POISON_FILE names exists, and /crash makes it exit: together, a
 * live revision that crash-loops.
 */
const SERVICE = `import { createServer } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
const version = readFileSync('./version', 'utf8').trim();
if (existsSync(process.env.POISON_FILE)) { console.error('boom: poisoned at start'); process.exit(3); }
console.log('start ' + version);
const server = createServer((req, res) => {
  if (req.url === '/healthz') { res.end('ok'); return; }
  if (req.url === '/crash') { res.end('bye', () => process.exit(3)); return; }
  res.end(version);
});
server.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

const config = (port: number, poison: string): string => `version: 1
project:
  name: status-shop
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
environments:
  dev:
    branch: develop
    strategy: rolling
    env:
      POISON_FILE: ${poison}
    verify:
      - kind: health
`;

describe('gantry status <env>', () => {
  const temp = new TempDirs();
  const port = basePort();
  let t: TestServer;
  let poison = '';
  let env: Record<string, string> = {};
  let beforeDeploy: CliResult | undefined;
  let agentBefore = true;
  const gantry = (args: string[]) => runCli(args, env);
  const statusJson = async (): Promise<EnvironmentStatusBody> => JSON.parse((await gantry(['status', 'dev', '-o', 'json'])).stdout) as EnvironmentStatusBody;

  beforeAll(async () => {
    if (!existsSync(cliEntry())) throw new Error(`${cliEntry()} is missing: run \`npm run build\` before this test file`);
    const root = await temp.make();
    // In /tmp, not the test's folder: the agent may run revisions as another user, who cannot see into that.
    poison = join(tmpdir(), `gantry-status-poison-${process.pid}-${Date.now()}`);
    const repo = await fixtureRepo(root, { 'gantry.yaml': config(port, poison), 'api/server.mjs': SERVICE, 'api/version': 'v1\n' });
    t = await startTestServer(root, repo, config(port, poison));
    env = { GANTRY_SERVER: t.server.url, GANTRY_TOKEN: t.token };
    // Before the first deploy no agent runs: status must say so without starting one.
    beforeDeploy = await gantry(['status', 'dev']);
    agentBefore = existsSync(join(t.dataDir, 'agents', 'local', 'agent.json'));
    await pushChange(repo, 'develop', { 'api/version': 'v2\n' }, 'v2', 'develop');
    const run = await t.finished((await t.runFor('develop')).id, 120_000);
    expect(run.run.state, JSON.stringify(run.run.error)).toBe('succeeded');
  }, 180_000);

  afterAll(async () => {
    await t.server.close({ stopAgents: true });
    await rm(poison, { force: true });
    await temp.cleanup();
  });

  it('says a target that does not run yet is not running, without starting it, and exits 0 with nothing live', () => {
    expect(beforeDeploy?.code, beforeDeploy?.stderr).toBe(0);
    expect(beforeDeploy?.stdout).toContain('the target "local" of dev is not running (or does not answer): only what Gantry recorded is shown');
    expect(beforeDeploy?.stdout).toMatch(/^api\s+nothing deployed unknown$/m);
    expect(agentBefore).toBe(false);
  });

  it('shows the live revision ready 1/1 with its weight, and exits 0', async () => {
    const r = await gantry(['status', 'dev']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^dev \(target local\)$/m);
    expect(r.stdout).toMatch(/^api\s+r1 live\s+-\s+ready\s+1\/1\s+0\s+100\s+\d+s$/m);
    // Its one replica (a process of the local agent) under it.
    expect(r.stdout).toMatch(/^\s+• api-r1-0 ready, restarts 0$/m);
    expect(r.stdout).not.toContain('Warnings:');
    const body = await statusJson();
    expect(body).toMatchObject({ environment: 'dev', target: 'local', reachable: true, approvals: [] });
    expect(body.services[0]).toMatchObject({ service: 'api', ready: true, live: { revision: 1 }, weights: { main: { '1': 100 } }, warnings: [] });
    expect(body.services[0]?.revisions[0]).toMatchObject({ revision: 1, phase: 'ready', readyReplicas: 1, wantedReplicas: 1, restarts: 0, lastError: null, live: true });
    // `gantry status` without an environment keeps the agents view.
    const agents = await gantry(['status']);
    expect(agents.stdout).toMatch(/^local\s+healthy\s+pid \d+/m);
  });

  it('names an unknown service or environment with a hint, as a 404', async () => {
    const service = await gantry(['status', 'dev', '--service', 'nope']);
    expect(service.code).toBe(1);
    expect(service.stderr).toMatch(/NOT_FOUND.*dev does not deploy a service "nope"/);
    expect(service.stderr).toMatch(/It deploys: api/);
    const environment = await gantry(['status', 'qa']);
    expect(environment.code).toBe(1);
    expect(environment.stderr).toMatch(/NOT_FOUND.*environment "qa" is not declared in gantry.yaml/);
    const http = await t.api<{ code: string; hint: string }>('GET', '/api/v1/environments/dev/status?service=nope');
    expect(http).toMatchObject({ status: 404, body: { code: 'NOT_FOUND', hint: 'It deploys: api.' } });
    const usage = await gantry(['status', '--watch']);
    expect(usage.code).toBe(2);
  });

  it('exits 1 and shows the last error when the live revision crash-loops', async () => {
    // A watcher on a pipe prints a block when something changes, not every 2 s.
    const watcher = spawn(process.execPath, [CLI, 'status', 'dev', '--watch'], { env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const watcherExit = new Promise((resolve) => watcher.on('exit', resolve));
    let watched = '';
    watcher.stdout.on('data', (c: Buffer) => (watched += c.toString()));
    await until('the first block', () => (watched.includes('ready') ? true : undefined), 15_000, 50);
    await writeFile(poison, 'x', { mode: 0o644 });
    await fetch(`http://127.0.0.1:${port}/crash`).catch(() => undefined);
    // Five restarts with a doubling pause (0.5 s … 8 s) before the agent gives up.
    let last: EnvironmentStatusBody | undefined;
    await until('the live revision to crash-loop', async () => (last = await statusJson()).services[0]?.revisions[0]?.phase === 'crash-loop', 60_000, 500).catch((e: unknown) => {
      throw new Error(`${String(e)}; last status: ${JSON.stringify(last?.services[0]?.revisions)}`);
    });
    const r = await gantry(['status', 'dev', '--service', 'api']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^api\s+r1 live\s+-\s+crash-loop\s+0\/1\s+\d+\s+/m);
    expect(r.stdout).toMatch(/^\s+• api-r1-0 crash-loop, not ready, restarts \d+$/m);
    expect(r.stdout).toContain('last error: exited with code 3');
    expect(r.stdout).toContain('live revision r1 is not ready');
    expect((await statusJson()).services[0]).toMatchObject({ ready: false, revisions: [{ lastError: 'exited with code 3' }] });
    try {
      await until('the watcher to show the crash loop', () => (watched.includes('crash-loop') ? true : undefined), 15_000, 50);
      const blocks = watched.split(/^dev \(target local\)$/m).length - 1;
      // Ready, crashed, restarted ... crash-loop: a few changes in ~20 s, not one block per 2 s poll unless each differed.
      expect(blocks).toBeGreaterThanOrEqual(2);
      expect(watched.split('\n').filter((l) => /^api\s+r1 live\s+-\s+crash-loop/.test(l))).toHaveLength(1);
    } finally {
      watcher.kill('SIGINT');
      await watcherExit;
    }
  }, 90_000);
});
