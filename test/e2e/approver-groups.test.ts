import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScratchRepo } from '../../src/cli/demo/scratch-repo.js';
import { runCli } from '../support/cli.js';
import { basePort } from '../support/deploy-fixture.js';
import { fixtureRepo, writeTree } from '../support/fixture-repo.js';
import { TempDirs, until } from '../support/temp.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

/** The built CLI: run `npx tsc -p tsconfig.build.json` first (as `npm test` does). */

// Production waits for two approvals from @release-managers, so a run stays waiting after one
// and is cancelled before its deploy: nothing is ever started.
const CONFIG = `version: 1
project:
  name: approver-groups
repository:
  url: .
  defaultBranch: develop
services:
  api:
    path: api
    gates:
      - name: lint
        run: echo linted
    run:
      command: node x.js
      port: ${basePort()}
environments:
  production:
    branch: main
    approvals:
      required: 2
      approvers: ['@release-managers']
groups:
  release-managers: [alice, mallory, carol]
`;

/** Approver groups and "never the author", through `git push`, the server's watcher and `gantry approve`. */
describe('who may approve a production run', () => {
  const temp = new TempDirs();
  let t: TestServer;
  let repo: ScratchRepo;
  let env: Record<string, string>;
  const gantry = (args: string[], extra: Record<string, string> = {}) => runCli(args, { CI: 'true', ...env, ...extra });
  const tokenFor = async (user: string, role: string): Promise<string> => {
    const made = await gantry(['token', 'create', '--user', user, '--email', `${user}@volteryde.example`, '--role', role, '--output', 'json']);
    expect(made.code, made.stderr).toBe(0);
    return (JSON.parse(made.stdout) as { token: string }).token;
  };
  const commitAs = async (author: string, file: string, trailer = ''): Promise<void> => {
    await writeTree(repo.workDir, { [file]: `${file}\n` });
    await repo.git('add', '--all');
    await repo.git('commit', '--quiet', '--author', author, '-m', `change ${file}${trailer ? `\n\n${trailer}` : ''}`);
  };

  beforeAll(async () => {
    const root = await temp.make();
    repo = await fixtureRepo(root, { 'gantry.yaml': CONFIG, 'api/x.js': 'export {};\n' });
    t = await startTestServer(root, repo, CONFIG);
    env = { GANTRY_SERVER: t.server.url, GANTRY_TOKEN: t.token };
  });
  afterAll(async () => {
    await t.close();
    await temp.cleanup();
  });

  it('refuses an approver outside the group and an author or co-author of a merged commit, and takes a member who wrote none', async () => {
    const alice = await tokenFor('alice', 'approver:production');
    const mallory = await tokenFor('mallory', 'approver:production');
    const eve = await tokenFor('eve', 'approver:*');
    const carol = await tokenFor('carol', 'approver:production');
    // Mallory writes a commit on a feature branch; Ada (who approves nothing) merges it into main.
    await repo.git('checkout', '--quiet', '-b', 'feature/fare', 'main');
    await commitAs('Mallory Dev <mallory@volteryde.example>', 'api/fare.js');
    await commitAs('Ada Demo <ada@volteryde.example>', 'api/fare-test.js', 'Co-authored-by: Carol Pair <carol@volteryde.example>');
    await repo.git('checkout', '--quiet', 'main');
    await repo.git('merge', '--quiet', '--no-ff', '-m', 'merge feature/fare', 'feature/fare');
    const head = await repo.git('rev-parse', 'HEAD');
    expect(await repo.git('log', '-1', '--format=%an', head)).toBe('Ada Demo');
    await repo.push('main');
    const run = await t.runFor('main');
    expect(run.sha).toBe(head);
    await until(`run #${run.id} to wait for approval`, async () => (await gantry(['approvals'])).stdout.includes(`#${run.id}`), 60_000, 200);

    const outsider = await gantry(['approve', String(run.id)], { GANTRY_TOKEN: eve });
    expect(outsider.code).toBe(3);
    expect(outsider.stderr).toContain('APPROVAL_NOT_LISTED');
    expect(outsider.stderr).toContain('eve is not among the approvers of production in gantry.yaml (@release-managers: alice, mallory, carol)');

    const author = await gantry(['approve', String(run.id)], { GANTRY_TOKEN: mallory });
    expect(author.code).toBe(3);
    expect(author.stderr).toContain('APPROVAL_SELF');
    expect(author.stderr).toContain('mallory wrote one of the commits this run brings in (as Mallory Dev <mallory@volteryde.example>) and cannot approve it');

    const coauthor = await gantry(['approve', String(run.id)], { GANTRY_TOKEN: carol });
    expect(coauthor.code).toBe(3);
    expect(coauthor.stderr).toContain('carol wrote one of the commits this run brings in (as Carol Pair <carol@volteryde.example>) and cannot approve it');

    const member = await gantry(['approve', String(run.id), '--comment', 'checked'], { GANTRY_TOKEN: alice });
    expect(member.code, member.stderr).toBe(0);
    const { body } = await t.api<{ approvals: { run: { id: number; authors: string[] }; approvedBy: string[] }[] }>('GET', '/api/v1/approvals');
    const waiting = body.approvals.find((a) => a.run.id === run.id);
    expect(waiting?.approvedBy).toEqual(['alice']);
    expect([...(waiting?.run.authors ?? [])].sort()).toEqual(['Ada Demo <ada@volteryde.example>', 'Carol Pair <carol@volteryde.example>', 'Mallory Dev <mallory@volteryde.example>']);
    expect((await gantry(['cancel', String(run.id)])).code).toBe(0);
    expect((await t.finished(run.id)).run.state).toBe('cancelled');
  }, 180_000);

  it('refuses a gantry.yaml whose approvers name an undeclared group, at its line, with a hint', async () => {
    const dir = await temp.make();
    const file = join(dir, 'gantry.yaml');
    await writeFile(file, CONFIG.replace("approvers: ['@release-managers']", "approvers: ['@release-manager']"));
    await writeTree(dir, { 'api/x.js': 'export {};\n' });
    const r = await gantry(['validate', '--config', file]);
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toContain(`${file}:21:19 error CONFIG_UNKNOWN_GROUP production names the approver group @release-manager, which \`groups\` does not declare`);
    expect(r.stdout + r.stderr).toContain('hint: declared groups: @release-managers');
  }, 60_000);
});
