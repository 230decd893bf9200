import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { basePort, deployConfig, serviceFiles } from '../support/deploy-fixture.js';
import { fixtureRepo } from '../support/fixture-repo.js';
import { TempDirs } from '../support/temp.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

/** The built CLI: run `npx tsc -p tsconfig.build.json` first (as `npm test` does). */

interface Deployment {
  readonly revision: number;
  readonly digest: string;
  readonly state: string;
  readonly reason: string | null;
}

describe('gantry rollback and gantry runs say what is true', () => {
  const temp = new TempDirs();
  const port = basePort();
  const config = deployConfig({ port });
  let t: TestServer;
  let env: Record<string, string>;
  const gantry = (args: string[]) => runCli(args, { CI: 'true', ...env });

  beforeAll(async () => {
    const root = await temp.make();
    const repo = await fixtureRepo(root, { 'gantry.yaml': config, ...serviceFiles('v1') });
    t = await startTestServer(root, repo, config);
    env = { GANTRY_SERVER: t.server.url, GANTRY_TOKEN: t.token };
  });
  afterAll(async () => {
    await t.server.close({ stopAgents: true });
    await temp.cleanup();
  });

  it('says there are no runs yet on a new server, and names the filter that matches none once there are', async () => {
    const empty = await gantry(['runs']);
    expect(empty.code, empty.stderr).toBe(0);
    expect(empty.stdout).toMatch(/^no runs yet/);

    const dispatched = await gantry(['dispatch', 'dev']);
    expect(dispatched.code, dispatched.stderr).toBe(0);
    const filtered = await gantry(['runs', '--state', 'failed', '--env', 'dev']);
    expect(filtered.code, filtered.stderr).toBe(0);
    expect(filtered.stdout.trim()).toBe('no runs match state=failed env=dev');
    const branch = await gantry(['runs', '--branch', 'feature/nothing']);
    expect(branch.stdout.trim()).toBe('no runs match branch=feature/nothing');
    expect((await gantry(['runs', '--env', 'dev'])).stdout).toMatch(/^#\d+\s+✓ succeeded\s+dispatch/m);
  }, 120_000);

  it('rolls back from r2 to r1 when both are the same build', async () => {
    // The same commit dispatched again: r2 runs the artifact r1 ran (build once, never rebuilt).
    const again = await gantry(['dispatch', 'dev']);
    expect(again.code, again.stderr).toBe(0);
    const before = JSON.parse((await gantry(['history', 'dev', '--output', 'json'])).stdout) as { deployments: Deployment[] };
    expect(before.deployments.map((d) => [d.revision, d.state])).toEqual([[2, 'succeeded'], [1, 'succeeded']]);
    expect(before.deployments[0]?.digest).toBe(before.deployments[1]?.digest);

    const back = await gantry(['rollback', 'dev', '--service', 'api', '--reason', 'same build, still a rollback']);
    expect(back.code, back.stderr).toBe(0);
    expect(back.stdout).toMatch(/Rollback of dev: api → r1/);
    const after = JSON.parse((await gantry(['history', 'dev', '--output', 'json'])).stdout) as { deployments: Deployment[] };
    expect(after.deployments[0]).toMatchObject({ revision: 3, state: 'succeeded', reason: 'rollback to r1: same build, still a rollback' });
    const served = (await (await fetch(`http://127.0.0.1:${port}/`)).json()) as { version: string; revision: string };
    expect(served).toMatchObject({ version: 'v1', revision: '3' });
  }, 180_000);
});
