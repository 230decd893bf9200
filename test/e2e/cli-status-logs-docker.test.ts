import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EnvironmentStatusBody } from '../../src/cli/commands/status-table.js';
import { runCli } from '../support/cli.js';
import { basePort } from '../support/deploy-fixture.js';
import { dockerAvailable, pushBaseImage, startDockerd, type TestDockerd } from '../support/dockerd.js';
import { fixtureRepo, pushChange } from '../support/fixture-repo.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { CLI } from '../support/server-process.js';
import { secretValue } from '../support/sweep.js';
import { TempDirs, until } from '../support/temp.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

/**
 * `gantry status <env>` and `gantry logs <env> <service> [--tail N] [--follow]` on the docker target:
 * the built CLI as a process against a real server that deployed an image (built into a real
 * registry) as a container of a private dockerd. The service prints one line per request.
 */
const SERVICE = `import { createServer } from 'node:http';
let served = 0;
const server = createServer((req, res) => {
  if (req.url === '/healthz') { res.end('ok'); return; }
  served++;
  console.log('request ' + served);
  res.end('ok ' + served);
});
server.listen(Number(process.env.PORT), '127.0.0.1', () => console.log('listening'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

const config = (o: { port: number; registry: string; engine: string }): string => `version: 1
project:
  name: shop
repository:
  url: .
  defaultBranch: develop
registries:
  main: { url: '${o.registry}', username: gantry, passwordSecret: REGISTRY_PASSWORD }
images:
  registry: main
targets:
  boxes: { kind: docker, engine: 'unix://${o.engine}' }
services:
  api:
    path: api
    build:
      run: mkdir -p out && cp server.mjs out/
      output: out
    run:
      command: node server.mjs
      port: ${o.port}
    image: { base: '${o.registry}/base/node:1' }
    health: { path: /healthz, interval: 100ms, deadline: 30s }
environments:
  dev:
    branch: develop
    target: boxes
    strategy: rolling
`;

describe.runIf(dockerAvailable())('gantry status and gantry logs on the docker target', () => {
  const temp = new TempDirs();
  const port = basePort();
  const password = secretValue('status-logs-registry');
  let registry: TestRegistry;
  let engine: TestDockerd;
  let t: TestServer;
  let env: Record<string, string> = {};
  const gantry = (args: string[]) => runCli(args, env);

  beforeAll(async () => {
    registry = await startRegistry({ users: { gantry: password } });
    engine = await startDockerd(temp);
    const host = registry.url.replace('http://', '');
    await pushBaseImage(engine, host, { username: 'gantry', password }, 'base/node');
    const root = await temp.make();
    const text = config({ port, registry: host, engine: engine.socket });
    const repo = await fixtureRepo(root, { 'gantry.yaml': text, 'api/server.mjs': SERVICE });
    t = await startTestServer(root, repo, text);
    env = { GANTRY_SERVER: t.server.url, GANTRY_TOKEN: t.token };
    const put = await t.server.app.inject({ method: 'PUT', url: '/api/v1/secrets/shared/REGISTRY_PASSWORD', headers: { authorization: `Bearer ${t.token}` }, payload: { value: password } });
    expect(put.statusCode, put.body).toBe(200);
    await pushChange(repo, 'develop', { 'api/version': 'v2\n' }, 'v2', 'develop');
    const run = await t.finished((await t.runFor('develop')).id, 240_000);
    expect(run.run.state, JSON.stringify(run.steps.filter((s) => s.state === 'failed').map((s) => s.message))).toBe('succeeded');
  }, 300_000);

  afterAll(async () => {
    await t?.server.close({ stopAgents: true });
    await engine?.stop();
    await registry?.stop();
    await temp.cleanup();
  }, 120_000);

  it('shows the container revision ready and reads, tails and follows its output', async () => {
    const status = await gantry(['status', 'dev']);
    expect(status.code, status.stdout + status.stderr).toBe(0);
    expect(status.stdout).toMatch(/^dev \(target boxes\)$/m);
    expect(status.stdout).toMatch(/^api\s+r1 live\s+\S+\s+ready\s+1\/1\s+0\s+100\s+/m);
    // Its container under it, on the engine's host.
    expect(status.stdout).toMatch(/^\s+• api-r1-0 ready, restarts 0, on \S+$/m);
    const body = JSON.parse((await gantry(['status', 'dev', '-o', 'json'])).stdout) as EnvironmentStatusBody;
    expect(body.services[0]).toMatchObject({ ready: true, live: { revision: 1 }, revisions: [{ revision: 1, phase: 'ready', live: true }] });

    for (let i = 1; i <= 3; i++) expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe(`ok ${i}`);
    await until('the third request in the output', async () => (await gantry(['logs', 'dev', 'api', '--tail', '10'])).stdout.includes('request 3\n'), 20_000, 200);
    const tail = await gantry(['logs', 'dev', 'api', '--tail', '2']);
    expect(tail.code, tail.stderr).toBe(0);
    expect(tail.stdout).toBe('request 2\nrequest 3\n');

    const child = spawn(process.execPath, [CLI, 'logs', 'dev', 'api', '--follow', '--tail', '1'], { env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    try {
      await until('the last line so far', () => (out.includes('request 3\n') ? true : undefined), 20_000, 50);
      await fetch(`http://127.0.0.1:${port}/`);
      await until('the new line to be followed', () => (out.includes('request 4\n') ? true : undefined), 20_000, 50);
      expect(out).toBe('request 3\nrequest 4\n');
    } finally {
      child.kill('SIGINT');
      await exited;
    }
  }, 120_000);
});
