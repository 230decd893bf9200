import { runCli } from '../support/cli.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basePort, deployConfig, serviceFiles } from '../support/deploy-fixture.js';
import { fixtureRepo, pushChange } from '../support/fixture-repo.js';
import { TempDirs, until } from '../support/temp.js';
import { startTestServer, type TestServer } from '../support/test-server.js';


describe('the deployment commands of the CLI', () => {
  const temp = new TempDirs();
  const port = basePort();
  const config = deployConfig({ port, productionApprovals: 1 });
  let t: TestServer;
  let env: Record<string, string>;
  const gantry = (args: string[], extra: Record<string, string> = {}) => runCli(args, { CI: 'true', ...env, ...extra });

  beforeAll(async () => {
    const root = await temp.make();
    const repo = await fixtureRepo(root, { 'gantry.yaml': config, ...serviceFiles('v1') });
    await pushChange(repo, 'develop', serviceFiles('v2'), 'v2', 'develop');
    t = await startTestServer(root, repo, config);
    env = { GANTRY_SERVER: t.server.url, GANTRY_TOKEN: t.token };
  });
  afterAll(async () => {
    await t.server.close({ stopAgents: true });
    await temp.cleanup();
  });

  it('dispatches, then shows the history with revision, release, state and who', async () => {
    expect((await gantry(['dispatch', 'dev', '--ref', 'main'])).code).toBe(0);
    const second = await gantry(['dispatch', 'dev']);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/✓ deploy api → dev \(rolling\)/);
    // The live revision's output, from the local target's agent; a service the environment lacks is named.
    const logs = await gantry(['logs', 'dev/api', '--lines', '5']);
    expect(logs.code, logs.stderr).toBe(0);
    expect(logs.stderr).toMatch(/dev\/api r2, last \d+ lines/);
    const none = await gantry(['logs', 'dev/nope']);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/NOT_FOUND.*does not deploy a service "nope"/);
    const history = await gantry(['history', 'dev']);
    expect(history.stdout).toMatch(/api\s+r2\s+[0-9a-f]{7}\s+[0-9a-f]{12}\s+succeeded .* admin \(run #\d+\)/);
    expect(history.stdout).toMatch(/api\s+r1 /);
  });

  it('rolls back and says where traffic went', async () => {
    const r = await gantry(['rollback', 'dev', '--reason', 'checkout errors']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Rollback of dev: api → r1/);
    const served = (await (await fetch(`http://127.0.0.1:${port}/`)).json()) as { version: string };
    expect(served.version).toBe('v1');
    const json = JSON.parse((await gantry(['history', 'dev', '--output', 'json'])).stdout) as { deployments: Array<{ revision: number; reason: string | null }> };
    expect(json.deployments[0]).toMatchObject({ revision: 3, reason: 'rollback to r1: checkout errors' });
    const none = await gantry(['rollback', 'dev', '--to-revision', '42']);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/ROLLBACK_UNAVAILABLE/);
  });

  it('makes tokens for people, lists them without values, and revokes them', async () => {
    const made = JSON.parse((await gantry(['token', 'create', '--user', 'alice', '--email', 'alice@shop.test', '--role', 'approver:production', '--output', 'json'])).stdout) as { id: number; token: string };
    expect(made.token).toMatch(/^gty_/);
    const list = await gantry(['token', 'list']);
    expect(list.stdout).toMatch(/alice\s+approver:production/);
    expect(list.stdout).not.toContain(made.token);
    expect((await gantry(['token', 'revoke', String(made.id)])).code).toBe(0);
    const revoked = await gantry(['runs'], { GANTRY_TOKEN: made.token });
    expect(revoked.stderr).toMatch(/AUTH_INVALID/);
  });

  it('lists a run waiting for approval, refuses the wrong phrase, approves with the right one, and rejects', async () => {
    const staged = await gantry(['dispatch', 'staging', '--ref', 'develop']);
    expect(staged.code, staged.stderr).toBe(0);
    const noPhrase = await gantry(['dispatch', 'production', '--ref', 'develop', '--detach']);
    expect(noPhrase.code).toBe(2);
    expect(noPhrase.stderr).toMatch(/--confirm "DEPLOY TO PRODUCTION"/);
    const started = JSON.parse((await gantry(['dispatch', 'production', '--ref', 'develop', '--confirm', 'DEPLOY TO PRODUCTION', '--detach', '--output', 'json'])).stdout) as { run: { id: number } };
    const bob = JSON.parse((await gantry(['token', 'create', '--user', 'bob', '--role', 'approver:production', '--output', 'json'])).stdout) as { token: string };
    await until('the run to wait for approval', async () => (await gantry(['approvals'])).stdout.includes(`#${started.run.id}`), 60_000, 200);
    expect((await gantry(['approvals'])).stdout).toMatch(new RegExp(`#${started.run.id}\\s+production\\s+0/1 approvals`));
    const wrong = await gantry(['approve', String(started.run.id), '--confirm', 'yes please'], { GANTRY_TOKEN: bob.token });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/CONFIRMATION_MISMATCH/);
    const ok = await gantry(['approve', String(started.run.id), '--confirm', 'DEPLOY TO PRODUCTION', '--comment', 'ship it'], { GANTRY_TOKEN: bob.token });
    expect(ok.code, ok.stderr).toBe(0);
    const done = await gantry(['run', 'show', String(started.run.id), '--follow']);
    expect(done.code, done.stdout).toBe(0);

    const release = (await t.server.store.runs.get(started.run.id))?.sha.slice(0, 8) ?? '';
    const another = JSON.parse((await gantry(['dispatch', 'production', '--release', release, '--confirm', 'DEPLOY TO PRODUCTION', '--detach', '--output', 'json'])).stdout) as { run: { id: number } };
    await until('the second run to wait for approval', async () => (await gantry(['approvals'])).stdout.includes(`#${another.run.id}`), 60_000, 200);
    expect((await gantry(['reject', String(another.run.id), '--reason', 'change freeze'], { GANTRY_TOKEN: bob.token })).code).toBe(0);
    const rejected = await gantry(['run', 'show', String(another.run.id), '--follow']);
    expect(rejected.code).toBe(1);
    expect(rejected.stderr).toMatch(/APPROVAL_REJECTED.*change freeze/);
  });
});
