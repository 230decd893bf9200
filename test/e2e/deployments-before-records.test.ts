import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { basePort } from '../support/deploy-fixture.js';
import { fixtureRepo } from '../support/fixture-repo.js';
import { TempDirs } from '../support/temp.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

/** The built CLI: run `npx tsc -p tsconfig.build.json` first (as `npm test` does). */

const SERVICE_JS = `import { createServer } from 'node:http';
const server = createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ revision: process.env.GANTRY_REVISION, argv: process.argv.slice(2), greeting: process.env.GREETING ?? null }));
});
server.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

const config = (port: number): string => `version: 1
project:
  name: older
repository:
  url: .
  defaultBranch: staging
services:
  api:
    path: api
    build:
      run: mkdir -p out && cp server.mjs out/
      output: out
    run:
      command: node server.mjs --flavour plain
      port: ${port}
    env:
      GREETING: hello
    health:
      interval: 100ms
      deadline: 3s
environments:
  staging:
    branch: staging
    backup:
      retention: 30d
`;

interface BackupView {
  readonly id: number;
  readonly services: Array<{ revision: number; config: { command: string; env: Record<string, string> } | null; spec?: unknown; deploymentId?: number }>;
}

/** Deployments written before migration 009 have no recorded spec: backups, rollbacks and restores of them still work. */
describe('deployments recorded before they kept their spec', () => {
  const temp = new TempDirs();
  const port = basePort();
  let t: TestServer;
  let env: Record<string, string>;
  const gantry = (args: string[]) => runCli(args, { CI: 'true', ...env });
  const served = async (): Promise<{ revision: string; argv: string[]; greeting: string | null }> => (await (await fetch(`http://127.0.0.1:${port}/`)).json()) as { revision: string; argv: string[]; greeting: string | null };

  beforeAll(async () => {
    const root = await temp.make();
    const repo = await fixtureRepo(root, { 'gantry.yaml': config(port), 'api/server.mjs': SERVICE_JS });
    t = await startTestServer(root, repo, config(port));
    env = { GANTRY_SERVER: t.server.url, GANTRY_TOKEN: t.token };
  });
  afterAll(async () => {
    await t.server.close({ stopAgents: true });
    await temp.cleanup();
  });

  it('backs up an older deployment with the configuration its run deployed, then rolls back and restores to it', async () => {
    const first = await gantry(['dispatch', 'staging']);
    expect(first.code, first.stderr + first.stdout).toBe(0);
    // As migration 009 leaves the rows of an older server: nothing recorded.
    await t.server.store.db.updateTable('deployments').set({ spec: null, strategy_config: null, target: null }).execute();
    expect((await t.server.store.deployments.byRevision('staging', 'api', 1))?.spec).toBeNull();

    const second = await gantry(['dispatch', 'staging']);
    expect(second.code, second.stderr + second.stdout).toBe(0);
    expect((await t.server.store.deployments.byRevision('staging', 'api', 2))?.spec).toMatchObject({ command: 'node server.mjs --flavour plain', env: { GREETING: 'hello' } });
    const listed = JSON.parse((await gantry(['backup', 'list', '--env', 'staging', '--output', 'json'])).stdout) as { backups: BackupView[] };
    const withR1 = listed.backups.find((b) => b.services[0]?.revision === 1);
    expect(withR1?.services[0]?.config).toMatchObject({ command: 'node server.mjs --flavour plain', env: { GREETING: 'hello' } });
    // Read from r1's own run (its deploy step), the one place older rows are read from.
    expect(withR1?.services[0]?.spec).toMatchObject({ command: 'node server.mjs --flavour plain', env: { GREETING: 'hello' } });

    const back = await gantry(['rollback', 'staging', '--to-revision', '1']);
    expect(back.code, back.stderr + back.stdout).toBe(0);
    expect(await served()).toEqual({ revision: '3', argv: ['--flavour', 'plain'], greeting: 'hello' });

    const restored = await gantry(['--yes', 'backup', 'restore', String(withR1?.id ?? 0)]);
    expect(restored.code, restored.stderr + restored.stdout).toBe(0);
    expect(await served()).toEqual({ revision: '4', argv: ['--flavour', 'plain'], greeting: 'hello' });
    expect((await t.server.store.deployments.byRevision('staging', 'api', 4))?.spec).toMatchObject({ command: 'node server.mjs --flavour plain' });
  }, 180_000);
});
