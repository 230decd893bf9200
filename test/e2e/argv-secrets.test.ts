import { chmod, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basePort, SERVICE_JS } from '../support/deploy-fixture.js';
import { fixtureRepo, pushChange } from '../support/fixture-repo.js';
import { secretValue } from '../support/sweep.js';
import { TempDirs } from '../support/temp.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

/**
 * Issue 5, hardening: no secret in the argv of any spawned process. Anyone on the machine can read
 * every process's command line (`ps`, /proc/<pid>/cmdline); only the owner can read its environment.
 * While a run's gate, build and deployment hold a secret, every process's command line is read,
 * over and over: the secret must be in the environment of the processes that need it, never in
 * anyone's arguments.
 */
/**
 * The gate holds the key until the scan has seen it (the test touches `seen`), up to 20 s: a fixed
 * sleep let a slow scan of /proc on a loaded machine miss the gate's shell.
 */
const config = (port: number, seen = '/nonexistent'): string => `version: 1
project:
  name: argv
repository:
  url: .
  defaultBranch: develop
services:
  api:
    path: api
    gates:
      - name: uses-the-key
        run: test -n "$API_KEY" && for i in $(seq 1 200); do [ -e ${seen} ] && break; sleep 0.1; done
    build:
      run: sleep 1 && mkdir -p out && cp server.mjs version out/
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

async function processes(): Promise<Array<{ pid: number; argv: string; environ: string }>> {
  const out = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    // A process may end between the listing and the read; it is simply skipped.
    const argv = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    const environ = await readFile(`/proc/${entry}/environ`, 'utf8').catch(() => '');
    out.push({ pid: Number(entry), argv: argv.replaceAll('\0', ' '), environ });
  }
  return out;
}

describe.runIf(process.platform === 'linux')('no secret in the argv of any process Gantry spawns', () => {
  const temp = new TempDirs();
  const port = basePort();
  const secret = secretValue('argv-check');
  let t: TestServer;
  let scans = 0;
  const inArgv = new Set<string>();
  const holders = new Set<string>();

  beforeAll(async () => {
    const root = await temp.make();
    await chmod(root, 0o755);
    const seen = join(root, 'gate-seen');
    const repo = await fixtureRepo(root, { 'gantry.yaml': config(port, seen), 'api/server.mjs': SERVICE_JS, 'api/version': 'v1\n' });
    t = await startTestServer(root, repo, config(port, seen));
    const set = await t.server.app.inject({ method: 'PUT', url: '/api/v1/secrets/dev/API_KEY', headers: { authorization: `Bearer ${t.token}` }, payload: { value: secret } });
    expect(set.statusCode, set.body).toBe(200);
    await pushChange(repo, 'develop', { 'api/version': 'v2\n' }, 'v2', 'develop');
    const run = await t.runFor('develop');
    let finished = false;
    const watching = (async () => {
      while (!finished) {
        for (const p of await processes()) {
          if (p.argv.includes(secret) || p.argv.includes(Buffer.from(secret).toString('base64'))) inArgv.add(p.argv);
          if (p.environ.includes(`API_KEY=${secret}`)) holders.add(p.argv.slice(0, 40));
        }
        if ([...holders].some((h) => /sh -c test -n/.test(h))) await writeFile(seen, '');
        scans++;
      }
    })();
    const done = await t.finished(run.id, 120_000);
    finished = true;
    await watching;
    expect(done.run.state, JSON.stringify(done.run.error)).toBe('succeeded');
  }, 180_000);

  afterAll(async () => {
    await t.server.close({ stopAgents: true });
    await temp.cleanup();
  });

  it('finds the secret in no command line while the gate, the build and the deployment ran', () => {
    expect(scans).toBeGreaterThan(5);
    expect([...inArgv]).toEqual([]);
  });

  it('hands it over in the environment instead, to the gate and to the revision', async () => {
    // The gate's shell and the service's node process held it; the scan saw them while they ran.
    expect([...holders].some((h) => /sh -c test -n/.test(h)), [...holders].join('; ')).toBe(true);
    const now = await processes();
    const service = now.find((p) => p.argv.startsWith('node server.mjs') && p.environ.includes(`API_KEY=${secret}`));
    expect(service, 'the deployed revision holds the key in its environment').toBeDefined();
    expect(now.filter((p) => p.argv.includes(secret))).toEqual([]);
  });
});
