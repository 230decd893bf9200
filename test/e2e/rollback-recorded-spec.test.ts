import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScratchRepo } from '../../src/cli/demo/scratch-repo.js';
import { runCli } from '../support/cli.js';
import { basePort } from '../support/deploy-fixture.js';
import { fixtureRepo, pushChange } from '../support/fixture-repo.js';
import { registerSecret } from '../support/sweep.js';
import { TempDirs } from '../support/temp.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

/** The built CLI: run `npx tsc -p tsconfig.build.json` first (as `npm test` does). */

/** Answers every request with what it was started with: its arguments, one env var, and whether it got its secret (never its value). */
const SERVICE_JS = `import { createServer } from 'node:http';
const server = createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ revision: process.env.GANTRY_REVISION, argv: process.argv.slice(2), greeting: process.env.GREETING ?? null, secret: process.env.API_KEY ? 'set' : 'unset' }));
});
server.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

const config = (port: number, flavour: string, greeting: string): string => `version: 1
project:
  name: recorded
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
      command: node server.mjs --flavour ${flavour}
      port: ${port}
    env:
      GREETING: ${greeting}
    secrets: [API_KEY]
    health:
      interval: 100ms
      deadline: 3s
environments:
  staging:
    branch: staging
    secrets: [API_KEY]
    backup:
      retention: 30d
`;

interface Served {
  readonly revision: string;
  readonly argv: string[];
  readonly greeting: string | null;
  readonly secret: string;
}

interface BackupView {
  readonly id: number;
  readonly services: Array<{ service: string; revision: number; config: { command: string; env: Record<string, string> } | null }>;
}

describe('a rollback and a restore run what the revision recorded, not today\'s gantry.yaml', () => {
  const temp = new TempDirs();
  const port = basePort();
  let root = '';
  let repo: ScratchRepo;
  let t: TestServer;
  let env: Record<string, string>;
  const gantry = (args: string[], stdin = '') => runCli(args, { CI: 'true', ...env }, stdin);
  const served = async (): Promise<Served> => (await (await fetch(`http://127.0.0.1:${port}/`)).json()) as Served;
  const plain = { argv: ['--flavour', 'plain'], greeting: 'hello', secret: 'set' };
  const spicy = { argv: ['--flavour', 'spicy'], greeting: 'hi there', secret: 'set' };
  const API_KEY = registerSecret('recorded-spec-api-key-5tQ8');

  beforeAll(async () => {
    root = await temp.make();
    repo = await fixtureRepo(root, { 'gantry.yaml': config(port, 'plain', 'hello'), 'api/server.mjs': SERVICE_JS });
    t = await startTestServer(root, repo, config(port, 'plain', 'hello'));
    env = { GANTRY_SERVER: t.server.url, GANTRY_TOKEN: t.token };
  });
  afterAll(async () => {
    await t.server.close({ stopAgents: true });
    await temp.cleanup();
  });

  it('deploys r1 with the first command and env, then r2 with the changed ones', async () => {
    expect((await gantry(['secrets', 'set', 'staging', 'API_KEY'], `${API_KEY}\n`)).code).toBe(0);
    const first = await gantry(['dispatch', 'staging']);
    expect(first.code, first.stderr + first.stdout).toBe(0);
    expect(await served()).toEqual({ revision: '1', ...plain });

    // The operator changes the server's copy of gantry.yaml and restarts the server (its agents
    // keep serving), and the team the one in the repository: today's config is the spicy one.
    await t.server.close();
    const token = t.token;
    t = { ...(await startTestServer(root, repo, config(port, 'spicy', 'hi there'))), token };
    env = { GANTRY_SERVER: t.server.url, GANTRY_TOKEN: token };
    await pushChange(repo, 'staging', { 'gantry.yaml': config(port, 'spicy', 'hi there') }, 'spicy', 'staging');
    const second = await gantry(['dispatch', 'staging']);
    expect(second.code, second.stderr + second.stdout).toBe(0);
    expect(await served()).toEqual({ revision: '2', ...spicy });
  }, 180_000);

  it('rolls back to r1 exactly as r1 ran: its command and env, not the ones in gantry.yaml now', async () => {
    const back = await gantry(['rollback', 'staging', '--to-revision', '1', '--reason', 'spicy is too hot']);
    expect(back.code, back.stderr + back.stdout).toBe(0);
    expect(await served()).toEqual({ revision: '3', ...plain });
    const r1 = await t.server.store.deployments.byRevision('staging', 'api', 1);
    const r3 = await t.server.store.deployments.byRevision('staging', 'api', 3);
    expect(r1?.spec).toMatchObject({ command: 'node server.mjs --flavour plain', env: { GREETING: 'hello' } });
    expect(r3?.spec).toEqual(r1?.spec);
    expect(r3?.strategy).toEqual(r1?.strategy);
    expect(r3).toMatchObject({ reason: 'rollback to r1: spicy is too hot', target: r1?.target, state: 'succeeded' });
  }, 180_000);

  it('restores a backup to what it recorded, though gantry.yaml has changed since', async () => {
    // r4 goes out with today's (spicy) config; the backup taken before it holds r3, run as r1 ran.
    const forward = await gantry(['dispatch', 'staging']);
    expect(forward.code, forward.stderr + forward.stdout).toBe(0);
    expect(await served()).toEqual({ revision: '4', ...spicy });
    const listed = await gantry(['backup', 'list', '--env', 'staging', '--output', 'json']);
    expect(listed.code, listed.stderr).toBe(0);
    const backups = (JSON.parse(listed.stdout) as { backups: BackupView[] }).backups;
    const withR3 = backups.find((b) => b.services[0]?.revision === 3);
    expect(withR3?.services[0]?.config).toMatchObject({ command: 'node server.mjs --flavour plain', env: { GREETING: 'hello' } });

    const restored = await gantry(['--yes', 'backup', 'restore', String(withR3?.id ?? 0), '--reason', 'back to plain']);
    expect(restored.code, restored.stderr + restored.stdout).toBe(0);
    expect(await served()).toEqual({ revision: '5', ...plain });
    const r5 = await t.server.store.deployments.byRevision('staging', 'api', 5);
    expect(r5?.spec).toEqual((await t.server.store.deployments.byRevision('staging', 'api', 1))?.spec);
    // The records name the secret; its value was read from the secret store at each start and is kept in neither.
    expect(r5?.spec?.secrets).toEqual(['API_KEY']);
    const rows = JSON.stringify([await t.server.store.db.selectFrom('deployments').selectAll().execute(), await t.server.store.db.selectFrom('backups').selectAll().execute()]);
    expect(rows).toContain('API_KEY');
    expect(rows).not.toContain(API_KEY);
  }, 180_000);
});
