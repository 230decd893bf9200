import { runCli } from '../support/cli.js';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunView } from '../../src/server/views.js';
import { fixtureRepo } from '../support/fixture-repo.js';
import { TempDirs } from '../support/temp.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { lintOnlyConfig } from '../support/ci-config.js';

/** The built CLI: run `npm run build` first (as `npm test` does). */

const CONFIG = lintOnlyConfig('audit-test');


interface EventRow {
  id: number;
  kind: string;
  data_json: string;
}

describe('the audit log (invariant 7)', () => {
  const temp = new TempDirs();
  let t: TestServer;
  let env: Record<string, string>;
  let db: BetterSqlite3.Database;

  const gantry = (args: string[]) => runCli(args, env);
  const tokenEvents = (): EventRow[] => db.prepare<[], EventRow>("SELECT id, kind, data_json FROM events WHERE kind = 'token.created' ORDER BY id").all();

  beforeAll(async () => {
    const root = await temp.make();
    const repo = await fixtureRepo(root, { 'gantry.yaml': CONFIG, 'api/x.js': 'export {};\n' });
    t = await startTestServer(root, repo, CONFIG);
    env = { GANTRY_SERVER: t.server.url, GANTRY_TOKEN: t.token };
    for (const user of ['alice', 'bob', 'carol', 'dave']) {
      expect((await t.api('POST', '/api/v1/tokens', { user, roles: ['viewer'] })).status).toBe(201);
    }
    const { body } = await t.api<{ run: RunView }>('POST', '/api/v1/dispatch', { environment: 'dev' });
    await t.finished(body.run.id);
    db = new BetterSqlite3(join(t.dataDir, 'gantry.db'));
  });
  afterAll(async () => {
    db.close();
    await t.close();
    await temp.cleanup();
  });

  it('lists events oldest first over the API, each chained to the one before', async () => {
    const { status, body } = await t.api<{ events: Array<{ id: number; kind: string; data: { user?: string }; prevHash: string; hash: string }> }>('GET', '/api/v1/audit?since=2000-01-01T00:00:00Z&limit=1000');
    expect(status).toBe(200);
    expect(body.events.filter((e) => e.kind === 'token.created').map((e) => e.data.user)).toEqual(['alice', 'bob', 'carol', 'dave']);
    for (let i = 1; i < body.events.length; i++) expect(body.events[i]?.prevHash).toBe(body.events[i - 1]?.hash);
    const future = await t.api<{ events: unknown[] }>('GET', `/api/v1/audit?since=${new Date(Date.now() + 60_000).toISOString()}`);
    expect(future.body.events).toEqual([]);
    const bad = await t.api<{ code: string; message: string }>('GET', '/api/v1/audit?since=yesterday');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/since/) });
  });

  it('keeps the chain intact when many appends race', async () => {
    await Promise.all(Array.from({ length: 25 }, (_, i) => t.server.store.events.append('test.raced', 'tester', null, { i }, Date.now())));
    const verdict = await t.api<{ ok: boolean; rows: number }>('GET', '/api/v1/audit/verify');
    expect(verdict.body).toMatchObject({ ok: true });
    expect(verdict.body.rows).toBeGreaterThanOrEqual(29);
  });

  it('shows the log as a table with `gantry audit` and as JSON', async () => {
    const table = await gantry(['audit', '--since', '1h']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/token\.created\s+admin\s+-\s+id=\d+ user=bob roles=\["viewer"\]/);
    const json = await gantry(['audit', '--output', 'json', '--limit', '3']);
    expect(json.code).toBe(0);
    expect((JSON.parse(json.stdout) as { events: unknown[] }).events).toHaveLength(3);
  });

  it('verifies an untouched log with exit 0', async () => {
    const r = await gantry(['audit', 'verify']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\d+ events?, chain intact$/m);
  });

  it('exits 1 naming the row when one byte of its data was edited in the database file', async () => {
    const bob = tokenEvents()[1]!;
    const forged = bob.data_json.replace('"bob"', '"bop"');
    expect(forged.length).toBe(bob.data_json.length);
    db.prepare('UPDATE events SET data_json = ? WHERE id = ?').run(forged, bob.id);

    const r = await gantry(['audit', 'verify']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`AUDIT_CHAIN_BROKEN: event #${bob.id}: its contents do not match its hash: the row was edited`));
    const json = await gantry(['audit', 'verify', '--output', 'json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, brokenAt: bob.id });

    db.prepare('UPDATE events SET data_json = ? WHERE id = ?').run(bob.data_json, bob.id);
    expect((await gantry(['audit', 'verify'])).code).toBe(0);
  });

  it('exits 1 naming the row after one deleted from the middle', async () => {
    const carol = tokenEvents()[2]!;
    db.prepare('DELETE FROM events WHERE id = ?').run(carol.id);

    const r = await gantry(['audit', 'verify']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`event #${carol.id + 1}: ids jump from ${carol.id - 1} to ${carol.id + 1}: a row was deleted`));
  });
});
