import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { basePort } from '../support/deploy-fixture.js';
import { fixtureRepo } from '../support/fixture-repo.js';
import { TempDirs, until } from '../support/temp.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

/** The built CLI: run `npx tsc -p tsconfig.build.json` first (as `npm test` does). */

// Production waits for two approvals, so a run stays waiting after one decision and can still be
// cancelled; its runs end before the lock, so nothing is ever deployed (no process to stop).
const CONFIG = `version: 1
project:
  name: audit-decisions
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
  dev:
    branch: develop
    services: []
  production:
    branch: main
    approvals:
      required: 2
`;

interface AuditEvent {
  readonly kind: string;
  readonly actor: string;
  readonly runId: number | null;
  readonly data: Record<string, unknown>;
}

describe('what people ask of the engine is in the audit log', () => {
  const temp = new TempDirs();
  let t: TestServer;
  let env: Record<string, string>;
  const gantry = (args: string[], extra: Record<string, string> = {}) => runCli(args, { CI: 'true', ...env, ...extra });
  const tokenFor = async (user: string, role: string): Promise<string> => {
    const made = await gantry(['token', 'create', '--user', user, '--role', role, '--output', 'json']);
    expect(made.code, made.stderr).toBe(0);
    return (JSON.parse(made.stdout) as { token: string }).token;
  };
  const detached = async (args: string[]): Promise<number> => {
    const r = await gantry([...args, '--detach', '--output', 'json']);
    expect(r.code, r.stderr).toBe(0);
    return (JSON.parse(r.stdout) as { run: { id: number } }).run.id;
  };
  const waiting = (runId: number) => until(`run #${runId} to wait for approval`, async () => (await gantry(['approvals'])).stdout.includes(`#${runId}`), 60_000, 200);
  const audit = async (): Promise<AuditEvent[]> => {
    const r = await gantry(['audit', '--output', 'json', '--limit', '1000']);
    expect(r.code, r.stderr).toBe(0);
    return (JSON.parse(r.stdout) as { events: AuditEvent[] }).events;
  };

  beforeAll(async () => {
    const root = await temp.make();
    const repo = await fixtureRepo(root, { 'gantry.yaml': CONFIG, 'api/x.js': 'export {};\n' });
    t = await startTestServer(root, repo, CONFIG);
    env = { GANTRY_SERVER: t.server.url, GANTRY_TOKEN: t.token };
  });
  afterAll(async () => {
    await t.close();
    await temp.cleanup();
  });

  it('records a dispatch with who asked, the ref and the commit', async () => {
    const dana = await tokenFor('dana', 'deployer:dev');
    const r = await gantry(['dispatch', 'dev', '--ref', 'develop'], { GANTRY_TOKEN: dana });
    expect(r.code, r.stderr).toBe(0);
    const events = (await audit()).filter((e) => e.kind === 'dispatch.requested');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ actor: 'dana', runId: expect.any(Number), data: { environment: 'dev', ref: 'develop', release: null, sha: expect.stringMatching(/^[0-9a-f]{40}$/), overridePromotion: null } });
  }, 120_000);

  it('records an approval, a cancel and a rejection by the people who made them, and the chain still verifies', async () => {
    const bob = await tokenFor('bob', 'approver:production');
    const carol = await tokenFor('carol', 'approver:production');
    const first = await detached(['dispatch', 'production']);
    await waiting(first);
    expect((await gantry(['approve', String(first), '--comment', 'looks right'], { GANTRY_TOKEN: bob })).code).toBe(0);
    const cancelled = await gantry(['cancel', String(first)]);
    expect(cancelled.code, cancelled.stderr).toBe(0);
    expect((await t.finished(first)).run.state).toBe('cancelled');

    const second = await detached(['dispatch', 'production']);
    await waiting(second);
    expect((await gantry(['reject', String(second), '--reason', 'not during the sale'], { GANTRY_TOKEN: carol })).code).toBe(0);
    expect((await t.finished(second)).run.state).toBe('failed');

    const events = await audit();
    const of = (runId: number) => events.filter((e) => e.runId === runId && e.kind !== 'approval.requested').map((e) => ({ kind: e.kind, actor: e.actor, data: e.data }));
    expect(of(first)).toEqual([
      { kind: 'dispatch.requested', actor: 'admin', data: expect.objectContaining({ environment: 'production', ref: 'main' }) },
      { kind: 'approval.approved', actor: 'bob', data: { environment: 'production', kind: 'deploy', comment: 'looks right' } },
      { kind: 'cancel.requested', actor: 'admin', data: { environment: 'production', state: expect.any(String) } },
    ]);
    expect(of(second)).toEqual([
      { kind: 'dispatch.requested', actor: 'admin', data: expect.objectContaining({ environment: 'production', ref: 'main' }) },
      { kind: 'approval.rejected', actor: 'carol', data: { environment: 'production', kind: 'deploy', comment: 'not during the sale' } },
    ]);

    const verify = await gantry(['audit', 'verify']);
    expect(verify.code, verify.stderr).toBe(0);
    expect(verify.stdout).toMatch(/^\d+ events?, chain intact$/m);
  }, 180_000);

  it('records nothing for a cancel that is refused', async () => {
    const before = (await audit()).length;
    const r = await gantry(['cancel', '99999']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/RUN_NOT_FOUND/);
    expect((await audit()).filter((e) => e.kind === 'cancel.requested')).toHaveLength(1);
    expect((await audit()).length).toBe(before);
  }, 120_000);
});
