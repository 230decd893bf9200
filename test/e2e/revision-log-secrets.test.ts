import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MASK } from '../../src/secrets/redactor.js';
import { cliEntry } from '../../src/targets/local/agent-launcher.js';
import type { ServiceStatus } from '../../src/targets/target.js';
import { basePort } from '../support/deploy-fixture.js';
import { fixtureRepo, pushChange } from '../support/fixture-repo.js';
import { secretValue } from '../support/sweep.js';
import { filesUnder, findSecrets, formsOf } from '../support/sweep-search.js';
import { TempDirs, until } from '../support/temp.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

/**
 * Invariant 6 on the data plane: a service that prints its secret (as services logging their
 * config at start do) leaves no trace of it in the agent's folder. The real server deploys through
 * a real `gantry agent` process (`npm run build` first) to a real service process.
 */

/**
 * Prints API_KEY at start (as is on stdout; base64 and URL-encoded on stderr) and on every request,
 * each time cut in two writes 20 ms apart, so that the two halves reach the agent as two chunks.
 * GREETING is configured env, not a secret: it must stay readable. /crash exits, for a restart.
 */
const SERVICE = `import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
const key = process.env.API_KEY ?? '(no API_KEY)';
const pause = (ms) => new Promise((r) => setTimeout(r, ms));
async function leak(stream, label, text) {
  const half = text.length >> 1;
  stream.write(label + text.slice(0, half));
  await pause(20);
  stream.write(text.slice(half) + '\\n');
}
await leak(process.stdout, 'start key=', key);
await leak(process.stderr, 'start base64=', Buffer.from(key).toString('base64'));
await leak(process.stderr, 'start url=', encodeURIComponent(key));
console.log('greeting=' + process.env.GREETING);
let served = 0;
const server = createServer(async (req, res) => {
  if (req.url === '/healthz') { res.end('ok'); return; }
  if (req.url === '/crash') { res.end('bye', () => process.exit(3)); return; }
  served++;
  await leak(process.stdout, 'request ' + served + ' key=', key);
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ service: process.env.GANTRY_SERVICE, version: readFileSync('./version', 'utf8').trim(), served }));
});
server.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

const config = (port: number): string => `version: 1
project:
  name: leaky
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
    env:
      GREETING: hello-in-plain-sight
    verify:
      - kind: health
`;

const REQUESTS = 5;

describe("a revision's output in the agent's folder", () => {
  const temp = new TempDirs();
  const port = basePort();
  const secret = secretValue('revision-log');
  let root = '';
  let t: TestServer;

  const agentDir = (): string => join(t.dataDir, 'agents', 'local');
  const logFiles = async (): Promise<string[]> => (await filesUnder(join(agentDir(), 'logs'))).filter((f) => /r\d+-\d+\.log(\.1)?$/.test(f));
  const logText = async (): Promise<string> => (await Promise.all((await logFiles()).map((f) => readFile(f, 'utf8')))).join('\n');
  const dev = async (): Promise<ServiceStatus | undefined> => (await (await t.server.targets.get('local')).describe('dev')).find((s) => s.service === 'api');

  beforeAll(async () => {
    if (!existsSync(cliEntry())) throw new Error(`${cliEntry()} is missing: run \`npm run build\` before this test file`);
    root = await temp.make();
    const files = { 'gantry.yaml': config(port), 'api/server.mjs': SERVICE };
    const repo = await fixtureRepo(root, { ...files, 'api/version': 'v1\n' });
    // The control plane may hold secrets in its environment; the agent it starts must not inherit them.
    process.env.GANTRY_SECRET_CONTROL_PLANE_ONLY = secretValue('control-plane-env');
    process.env.GANTRY_MASTER_KEY_CANARY_UNUSED = 'not-a-secret';
    t = await startTestServer(root, repo, config(port));
    const set = await t.server.app.inject({ method: 'PUT', url: '/api/v1/secrets/dev/API_KEY', headers: { authorization: `Bearer ${t.token}` }, payload: { value: secret } });
    expect(set.statusCode, set.body).toBe(200);
    await pushChange(repo, 'develop', { 'api/version': 'v2\n' }, 'v2', 'develop');
    const run = await t.finished((await t.runFor('develop')).id, 120_000);
    expect(run.run.state, JSON.stringify(run.run.error)).toBe('succeeded');
    for (let i = 1; i <= REQUESTS; i++) {
      const res = await fetch(`http://127.0.0.1:${port}/`);
      expect(await res.json()).toMatchObject({ service: 'api', version: 'v2', served: i });
    }
  }, 180_000);

  afterAll(async () => {
    delete process.env.GANTRY_SECRET_CONTROL_PLANE_ONLY;
    delete process.env.GANTRY_MASTER_KEY_CANARY_UNUSED;
    await t.server.close({ stopAgents: true });
    await temp.cleanup();
  });

  it('masks the secret, printed in two writes at start and on each request, before it is written', async () => {
    const text = await until('every request in the revision log', async () => {
      const seen = await logText();
      return seen.includes(`request ${REQUESTS} key=`) ? seen : undefined;
    }, 10_000);
    expect(text).toContain(`start key=${MASK}\n`);
    expect(text).toContain(`start base64=${MASK}\n`);
    expect(text).toContain(`start url=${MASK}\n`);
    for (let i = 1; i <= REQUESTS; i++) expect(text).toContain(`request ${i} key=${MASK}\n`);
    // Configured env is no secret and stays readable.
    expect(text).toContain('greeting=hello-in-plain-sight\n');

    const files = await filesUnder(root);
    expect(files.length).toBeGreaterThan(20);
    expect((await findSecrets(files, [secret])).hits).toEqual([]);
  });

  it('starts the agent without the secrets of the control plane\'s environment', async () => {
    const { pid } = JSON.parse(await readFile(join(agentDir(), 'agent.json'), 'utf8')) as { pid: number };
    const environ = (await readFile(`/proc/${pid}/environ`, 'utf8')).split('\0');
    expect(environ.some((e) => e.startsWith('PATH='))).toBe(true);
    expect(environ.some((e) => e.startsWith('GANTRY_MASTER_KEY_CANARY_UNUSED='))).toBe(true);
    expect(environ.filter((e) => e.startsWith('GANTRY_SECRET_') || e.startsWith('GANTRY_MASTER_KEY='))).toEqual([]);
  });

  it('tells the agent which env keys are secrets, and keeps their values sealed in its state file', async () => {
    const state = JSON.parse(await readFile(join(agentDir(), 'state.json'), 'utf8')) as { services: Array<{ revisions: Array<{ spec: { env: object; secretKeys: string[] } }> }> };
    expect(state.services[0]?.revisions[0]?.spec).toMatchObject({ env: {}, secretKeys: ['API_KEY'] });
  });

  it('serves the log lines masked over the control API', async () => {
    const target = await t.server.localTargets.get('local');
    const revision = (await dev())?.revisions[0]?.revision ?? 0;
    const lines = await target.logs('dev', 'api', revision, 200);
    expect(lines).toEqual(expect.arrayContaining([`start key=${MASK}`, `request 1 key=${MASK}`]));
    for (const { form } of formsOf(secret)) expect(lines.join('\n')).not.toContain(form);
  });

  it('masks it again in the output of a restarted process, and after the agent has stopped', async () => {
    await fetch(`http://127.0.0.1:${port}/crash`).catch(() => undefined);
    await until('the revision to be restarted and ready', async () => {
      const r = (await dev())?.revisions[0];
      return r && r.restarts >= 1 && r.phase === 'ready';
    }, 20_000);
    await until('the restarted process to print at start', async () => ((await logText()).split(`start key=${MASK}\n`).length > 2 ? true : undefined), 10_000);

    await t.server.close({ stopAgents: true });
    const text = await logText();
    expect(text.split(`start url=${MASK}\n`).length).toBeGreaterThan(2);
    expect((await findSecrets(await filesUnder(root), [secret])).hits).toEqual([]);
  });
});
