import { runCli } from '../support/cli.js';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectDocumentedShape } from '../support/doc-shapes.js';
import { fixtureRepo, pushChange, writeTree } from '../support/fixture-repo.js';
import { TempDirs } from '../support/temp.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

const CONFIG = `version: 1
project:
  name: cli-test
repository:
  url: .
  defaultBranch: develop
services:
  api:
    path: api
    gates:
      - name: lint
        run: sh lint.sh
environments:
  dev:
    branch: develop
`;


const gantry = (args: string[], env: Record<string, string> = {}) => runCli(args, env);

describe('the gantry CLI', () => {
  const temp = new TempDirs();
  let t: TestServer;
  let env: Record<string, string>;
  let root: string;

  beforeAll(async () => {
    root = await temp.make();
    const repo = await fixtureRepo(root, { 'gantry.yaml': CONFIG, 'api/lint.sh': 'echo lint ok\n' });
    await pushChange(repo, 'feature/broken', { 'api/lint.sh': 'echo "lint: 2 problems"; exit 1\n' }, 'break lint');
    t = await startTestServer(root, repo, CONFIG);
    env = { GANTRY_SERVER: t.server.url, GANTRY_TOKEN: t.token };
  });
  afterAll(async () => {
    await t.close();
    await temp.cleanup();
  });

  it('validates a good config with exit 0 and a bad one with exit 1 and file:line:col', async () => {
    // Service paths are checked in the folder `url: .` names: the folder of the file.
    await writeTree(join(root, 'checkout'), { 'good.yaml': CONFIG, 'api/lint.sh': 'echo lint ok\n' });
    const good = join(root, 'checkout', 'good.yaml');
    const ok = await gantry(['validate', '--config', good]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/is valid/);
    const bad = join(root, 'bad.yaml');
    await writeFile(bad, CONFIG.replace('    path: api', '    paht: api'));
    const no = await gantry(['validate', '--config', bad]);
    expect(no.code).toBe(1);
    expect(no.stderr).toMatch(/bad\.yaml:9:5/);
    expect(no.stderr).toMatch(/path/);
    const json = await gantry(['validate', '--config', bad, '--output', 'json']);
    expect(json.code).toBe(1);
    await expectDocumentedShape(JSON.parse(json.stdout), 'validate');
  });

  it('exits 2 on a usage error', async () => {
    expect((await gantry(['no-such-command'])).code).toBe(2);
    expect((await gantry(['runs', '--state', 'sideways'])).code).toBe(2);
    expect((await gantry(['run', 'show', 'abc'], env)).code).toBe(2);
  });

  it('dispatches to an environment, shows each step live, and exits 0 when the run succeeds', async () => {
    const r = await gantry(['dispatch', 'dev'], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/run #\d+ dispatched: develop@[0-9a-f]{7} → dev/);
    expect(r.stdout).toMatch(/✓ api › lint/);
    expect(r.stdout).toMatch(/run #\d+ ✓ succeeded/);
    expect(r.stdout.includes(String.fromCharCode(27))).toBe(false);
  });

  it('exits 1 for a failed run and prints the failing gate, its exit code hint and log tail', async () => {
    const r = await gantry(['dispatch', 'dev', '--ref', 'feature/broken'], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/GATE_FAILED: api › lint: gate api\/lint failed with exit code 1/);
    expect(r.stderr).toMatch(/lint: 2 problems/);
    expect(r.stderr).toMatch(/gantry logs \d+/);
  });

  it('prints the documented JSON shapes for runs, run show, dispatch and logs', async () => {
    const dispatched = await gantry(['dispatch', 'dev', '--output', 'json'], env);
    expect(dispatched.code).toBe(0);
    const d = JSON.parse(dispatched.stdout) as { run: { id: number; state: string } };
    expect(d.run.state).toBe('succeeded');
    await expectDocumentedShape(d, 'dispatch');

    const runs = JSON.parse((await gantry(['runs', '--output', 'json'], env)).stdout) as unknown;
    await expectDocumentedShape(runs, 'runs');

    const show = await gantry(['run', 'show', String(d.run.id), '--output', 'json'], env);
    const shown = JSON.parse(show.stdout) as { steps: { kind: string }[] };
    expect(shown.steps[0]?.kind).toBe('scan');
    // The documented example shows a gate step; the security scan that precedes it has its own summary.
    await expectDocumentedShape({ ...shown, steps: shown.steps.filter((s) => s.kind !== 'scan') }, 'run-show');

    const logs = await gantry(['logs', String(d.run.id), '--output', 'json'], env);
    await expectDocumentedShape(JSON.parse(logs.stdout), 'logs');
  });

  it('shows a run and its logs for people', async () => {
    const d = JSON.parse((await gantry(['dispatch', 'dev', '--detach', '--output', 'json'], env)).stdout) as { run: { id: number } };
    const show = await gantry(['run', 'show', String(d.run.id), '--follow'], env);
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/api › lint/);
    const logs = await gantry(['logs', String(d.run.id), 'gate:api:lint'], env);
    expect(logs.stdout).toMatch(/\[gate:api:lint\]/);
    const follow = await gantry(['logs', String(d.run.id), '-f'], env);
    expect(follow.code).toBe(0);
    expect(follow.stdout).toMatch(/lint/);
  });

  it('refuses to cancel a finished run with a clear error and exit 1', async () => {
    const r = await gantry(['cancel', '1'], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/RUN_ALREADY_FINISHED/);
  });

  it('explains an unreachable server and what to do', async () => {
    const r = await gantry(['runs'], { GANTRY_SERVER: 'http://127.0.0.1:9', GANTRY_TOKEN: 'x' });
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/SERVER_UNREACHABLE/);
    expect(r.stderr).toMatch(/hint: Start it with `gantry server`/);
  });

  it('says which token is wrong without leaking anything', async () => {
    const r = await gantry(['runs'], { GANTRY_SERVER: t.server.url, GANTRY_TOKEN: 'gty_wrong' });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/AUTH_INVALID/);
    expect(r.stderr).not.toMatch(/at .*\.js/);
  });

  it('prints and installs the post-receive hook', async () => {
    const printed = await gantry(['hook', 'post-receive'], env);
    expect(printed.stdout).toMatch(/^#!\/bin\/sh/);
    expect(printed.stdout).toContain(`${t.server.url}/api/v1/sources/notify`);
    const refused = await gantry(['hook', 'post-receive', '--install', root], env);
    expect(refused.code).toBe(2);
  });
});
