import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScratchRepo } from '../../src/cli/demo/scratch-repo.js';
import { runCli } from '../support/cli.js';
import { basePort, serviceFiles } from '../support/deploy-fixture.js';
import { fixtureRepo, writeTree } from '../support/fixture-repo.js';
import { TempDirs, until } from '../support/temp.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

/** The built CLI: run `npx tsc -p tsconfig.build.json` first (as `npm test` does). */

const config = (port: number) => `version: 1
project:
  name: dispatch-authors
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
      deadline: 3s
environments:
  qa:
    branch: develop
    autoDeploy: false
    strategy: rolling
    approvals:
      required: 1
`;

/** A dispatch has no branch base: the commits it brings in are those since what the environment runs. */
describe('the authors of a dispatched run', () => {
  const temp = new TempDirs();
  let t: TestServer;
  let repo: ScratchRepo;
  let env: Record<string, string>;
  const gantry = (args: string[], extra: Record<string, string> = {}) => runCli(args, { CI: 'true', ...env, ...extra });
  const tokenFor = async (user: string): Promise<string> => {
    const made = await gantry(['token', 'create', '--user', user, '--email', `${user}@volteryde.example`, '--role', 'approver:qa', '--output', 'json']);
    expect(made.code, made.stderr).toBe(0);
    return (JSON.parse(made.stdout) as { token: string }).token;
  };
  const dispatchWaiting = async (): Promise<number> => {
    const r = await gantry(['dispatch', 'qa', '--detach', '--output', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const id = (JSON.parse(r.stdout) as { run: { id: number } }).run.id;
    await until(`run #${id} to wait for approval`, async () => (await gantry(['approvals'])).stdout.includes(`#${id}`), 60_000, 200);
    return id;
  };

  beforeAll(async () => {
    const root = await temp.make();
    const text = config(basePort());
    repo = await fixtureRepo(root, { 'gantry.yaml': text, ...serviceFiles('v1') });
    t = await startTestServer(root, repo, text);
    env = { GANTRY_SERVER: t.server.url, GANTRY_TOKEN: t.token };
  });
  afterAll(async () => {
    await t.server.close({ stopAgents: true });
    await temp.cleanup();
  });

  it('are every author since the live release, so one who wrote a commit below the head cannot approve', async () => {
    const alice = await tokenFor('alice');
    const mallory = await tokenFor('mallory');
    const first = await dispatchWaiting();
    expect((await gantry(['approve', String(first)], { GANTRY_TOKEN: alice })).code).toBe(0);
    expect((await t.finished(first, 120_000)).run.state).toBe('succeeded');

    // Mallory's change, then Ada's on top: the head's author alone would let Mallory approve.
    await repo.git('checkout', '--quiet', 'develop');
    await writeTree(repo.workDir, serviceFiles('v2'));
    await repo.git('commit', '--quiet', '-am', 'v2', '--author', 'Mallory Dev <mallory@volteryde.example>');
    await writeTree(repo.workDir, { 'api/notes.md': 'v2 notes\n' });
    await repo.commitAll('notes');
    await repo.push('develop');

    const second = await dispatchWaiting();
    const { body } = await t.api<{ run: { authors: string[] } }>('GET', `/api/v1/runs/${second}`);
    expect([...body.run.authors].sort()).toEqual(['Ada Demo <ada@volteryde.example>', 'Mallory Dev <mallory@volteryde.example>']);
    const refused = await gantry(['approve', String(second)], { GANTRY_TOKEN: mallory });
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('APPROVAL_SELF');
    expect(refused.stderr).toContain('mallory wrote one of the commits this run brings in (as Mallory Dev <mallory@volteryde.example>)');
    expect((await gantry(['cancel', String(second)])).code).toBe(0);
    expect((await t.finished(second)).run.state).toBe('cancelled');
  }, 240_000);
});
