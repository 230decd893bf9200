import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTE_RULES, ruleFor } from '../../src/server/authorization.js';
import type { RunView } from '../../src/server/views.js';
import { fixtureRepo, pushChange } from '../support/fixture-repo.js';
import { registerSecret } from '../support/sweep.js';
import { CLI } from '../support/server-process.js';
import { TempDirs } from '../support/temp.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { lintOnlyConfig } from '../support/ci-config.js';

const CONFIG = lintOnlyConfig('roles-test', `  production:
    branch: main
`);

/** A value the table sets as a secret; registered for the global secret sweep (test/support/sweep.ts). */
const TABLE_SECRET = registerSecret('x-value-for-the-table');

/** The tokens the table is checked with (columns of the table below). */
const ROLES = ['viewer:*', 'deployer:dev', 'deployer:production', 'approver:production', 'admin'] as const;
type Role = (typeof ROLES)[number];

/**
 * THE POLICY (src/server/authorization.ts, docs/api.md#roles): for each route, which of the tokens
 * above may call it. Everyone else is refused with 403 and `code` (FORBIDDEN unless said).
 * `{dev}`, `{production}`, `{ci}` are finished runs of dev, of production and of CI only (no
 * environment); `{backup:dev}`, `{backup:production}` are backups; `{token}` a throwaway token.
 */
const ALL: readonly Role[] = ROLES;
const TABLE: ReadonlyArray<{ route: string; body?: object; allowed: readonly Role[]; code?: string }> = [
  // reads: viewer, which every role implies
  { route: 'GET /api/v1/version', allowed: ALL },
  { route: 'GET /api/v1/whoami', allowed: ALL },
  { route: 'GET /api/v1/runs', allowed: ALL },
  { route: 'GET /api/v1/runs/{production}', allowed: ALL },
  { route: 'GET /api/v1/runs/{production}/logs', allowed: ALL },
  { route: 'GET /api/v1/runs/{production}/events', allowed: ALL },
  { route: 'GET /api/v1/runs/{production}/notifications', allowed: ALL },
  { route: 'GET /api/v1/locks', allowed: ALL },
  { route: 'GET /api/v1/approvals', allowed: ALL },
  { route: 'GET /api/v1/environments', allowed: ALL },
  { route: 'GET /api/v1/agents', allowed: ALL },
  { route: 'GET /api/v1/environments/production/history', allowed: ALL },
  { route: 'GET /api/v1/environments/production/status', allowed: ALL },
  { route: 'GET /api/v1/environments/production/services/api/logs', allowed: ALL },
  { route: 'GET /api/v1/stream', allowed: ALL },
  { route: 'GET /api/v1/backups', allowed: ALL },
  { route: 'GET /api/v1/backups/{backup:production}', allowed: ALL },
  { route: 'GET /api/v1/backups/{backup:production}/export', allowed: ALL },
  { route: 'GET /api/v1/annotations', allowed: ALL },
  { route: 'GET /api/v1/dora', allowed: ALL },
  { route: 'GET /api/v1/audit', allowed: ALL },
  { route: 'GET /api/v1/audit/verify', allowed: ALL },
  { route: 'GET /metrics', allowed: ALL },
  // tokens: admin
  { route: 'GET /api/v1/tokens', allowed: ['admin'] },
  { route: 'POST /api/v1/tokens', body: { user: 'someone', roles: ['viewer'] }, allowed: ['admin'] },
  { route: 'POST /api/v1/tokens/{token}/revoke', allowed: ['admin'] },
  // the post-receive hook: a deployer of any environment
  { route: 'POST /api/v1/sources/notify', allowed: ['deployer:dev', 'deployer:production', 'admin'] },
  { route: 'POST /api/v1/sources/check-push', body: { ref: 'refs/heads/feature/x', old: '0'.repeat(40), new: 'a'.repeat(40) }, allowed: ['deployer:dev', 'deployer:production', 'admin'] },
  // deploying: deployer of the environment named by the body, the path, the run or the backup
  { route: 'POST /api/v1/dispatch', body: { environment: 'dev', ref: 'no-such-ref' }, allowed: ['deployer:dev', 'admin'] },
  { route: 'POST /api/v1/dispatch', body: { environment: 'production', ref: 'no-such-ref' }, allowed: ['deployer:production', 'admin'] },
  { route: 'POST /api/v1/environments/dev/rollback', allowed: ['deployer:dev', 'admin'] },
  { route: 'POST /api/v1/environments/production/rollback', allowed: ['deployer:production', 'admin'] },
  { route: 'POST /api/v1/backups/{backup:dev}/restore', allowed: ['deployer:dev', 'admin'] },
  { route: 'POST /api/v1/backups/{backup:production}/restore', allowed: ['deployer:production', 'admin'] },
  { route: 'POST /api/v1/runs/{dev}/cancel', allowed: ['deployer:dev', 'admin'] },
  { route: 'POST /api/v1/runs/{production}/cancel', allowed: ['deployer:production', 'admin'] },
  { route: 'POST /api/v1/runs/{ci}/cancel', allowed: ['admin'] },
  // a running canary: promote and abort, by a deployer of the run's environment (these runs are over, so an allowed call is refused with 409)
  { route: 'POST /api/v1/runs/{dev}/promote', allowed: ['deployer:dev', 'admin'] },
  { route: 'POST /api/v1/runs/{production}/abort', allowed: ['deployer:production', 'admin'] },
  { route: 'POST /api/v1/runs/{ci}/promote', allowed: ['admin'] },
  { route: 'POST /api/v1/runs/{ci}/abort', allowed: ['admin'] },
  // secrets: names readable by all; an environment's values set and removed by its deployers; the key by admins
  { route: 'GET /api/v1/secrets', allowed: ALL },
  { route: 'PUT /api/v1/secrets/dev/ROLES_TEST', body: { value: TABLE_SECRET }, allowed: ['deployer:dev', 'admin'] },
  { route: 'PUT /api/v1/secrets/production/ROLES_TEST', body: { value: TABLE_SECRET }, allowed: ['deployer:production', 'admin'] },
  { route: 'DELETE /api/v1/secrets/production/ROLES_TEST', allowed: ['deployer:production', 'admin'] },
  { route: 'POST /api/v1/secrets/rotate-key', allowed: ['admin'] },
  // the pinned config: read by all; a commit's guard rules accepted by admins only (a malformed sha, so nothing changes)
  { route: 'GET /api/v1/config', allowed: ALL },
  { route: 'POST /api/v1/config/accept', body: { sha: 'not-a-sha' }, allowed: ['admin'] },
  // approvals: approver of the run's environment (the engine then applies invariant 5 in full)
  { route: 'POST /api/v1/runs/{production}/approve', allowed: ['approver:production', 'admin'], code: 'APPROVAL_ROLE_MISSING' },
  { route: 'POST /api/v1/runs/{dev}/approve', allowed: ['admin'], code: 'APPROVAL_ROLE_MISSING' },
  { route: 'POST /api/v1/runs/{production}/reject', body: { reason: 'no' }, allowed: ['approver:production', 'admin'], code: 'APPROVAL_ROLE_MISSING' },
  { route: 'POST /api/v1/runs/{ci}/reject', body: { reason: 'no' }, allowed: ['admin'], code: 'APPROVAL_ROLE_MISSING' },
];

describe('roles on every route', () => {
  const temp = new TempDirs();
  let t: TestServer;
  const tokens = {} as Record<Role, string>;
  const ids: Record<string, number> = {};

  const call = async (role: Role, method: string, url: string, body?: object) => {
    if (url === '/api/v1/stream') {
      // The change stream never ends by itself: read its status over real HTTP, then hang up.
      const stop = new AbortController();
      const res = await fetch(`${t.server.url}${url}`, { headers: { authorization: `Bearer ${tokens[role]}` }, signal: stop.signal });
      const parsed = res.headers.get('content-type')?.startsWith('application/json') ? ((await res.json()) as { code?: string; message?: string; hint?: string }) : {};
      stop.abort();
      return { status: res.status, body: parsed };
    }
    const res = await t.server.app.inject({ method: method as 'GET', url, headers: { authorization: `Bearer ${tokens[role]}` }, ...(body ? { payload: body } : {}) });
    const json = (res.headers['content-type'] ?? '').toString().startsWith('application/json');
    return { status: res.statusCode, body: json ? res.json<{ code?: string; message?: string; hint?: string }>() : {} };
  };
  const fill = (route: string): [string, string] => {
    const [method = '', path = ''] = route.split(' ');
    return [method, path.replace(/\{([a-z:]+)\}/g, (_, key: string) => String(ids[key]))];
  };

  beforeAll(async () => {
    const root = await temp.make();
    const repo = await fixtureRepo(root, { 'gantry.yaml': CONFIG, 'api/x.js': 'export {};\n' });
    t = await startTestServer(root, repo, CONFIG);
    tokens.admin = t.token;
    for (const role of ROLES.filter((r) => r !== 'admin')) {
      const res = await t.api<{ token: string }>('POST', '/api/v1/tokens', { user: role.replace(/[:*]/g, '-').replace(/-+$/, ''), roles: [role] });
      expect(res.status).toBe(201);
      tokens[role] = res.body.token;
    }
    for (const env of ['dev', 'production']) {
      const { body } = await t.api<{ run: RunView }>('POST', '/api/v1/dispatch', { environment: env });
      ids[env] = body.run.id;
      await t.finished(body.run.id);
      const backup = await t.server.store.backups.add({ environment: env, runId: null, reason: 'test', services: [], createdAt: Date.now(), expiresAt: Date.now() + 3_600_000 });
      ids[`backup:${env}`] = backup.id;
    }
    await pushChange(repo, 'feature/roles', { 'api/y.js': 'export {};\n' }, 'a feature');
    const ci = await t.runFor('feature/roles');
    expect(ci.environment).toBeNull();
    ids.ci = ci.id;
    await t.finished(ci.id);
    ids.token = (await t.api<{ id: number }>('POST', '/api/v1/tokens', { user: 'throwaway', roles: ['viewer'] })).body.id;
  }, 120_000);
  afterAll(async () => {
    await t.close();
    await temp.cleanup();
  });

  const cases = TABLE.flatMap((row) => ROLES.map((role) => ({ ...row, role, allow: row.allowed.includes(role) })));

  it.each(cases)('$route with $role: allowed=$allow', async ({ route, body, role, allow, code }) => {
    const [method, url] = fill(route);
    const res = await call(role, method, url, body);
    if (allow) {
      expect(res.status, JSON.stringify(res.body)).not.toBe(403);
      expect(res.status).toBeLessThan(500);
    } else {
      expect(res.status).toBe(403);
      expect(res.body).toMatchObject({ code: code ?? 'FORBIDDEN', hint: expect.stringMatching(/gantry token create --user NAME --role /) });
    }
  });

  it('lists every route of the authorisation table in this test, and every one is registered', () => {
    const tested = new Set(
      TABLE.map((row) =>
        row.route
          .replace(/\{[a-z:]+\}/g, ':id')
          .replace(/\/secrets\/[a-z]+\/[A-Z_]+$/, '/secrets/:scope/:name')
          .replace(/\/(dev|production)\//, '/:env/')
          .replace(/\/services\/api\//, '/services/:service/'),
      ),
    );
    for (const rule of ROUTE_RULES) {
      expect(t.server.app.hasRoute({ method: rule.method, url: rule.url }), `${rule.method} ${rule.url} is not a route`).toBe(true);
      expect(tested.has(`${rule.method} ${rule.url}`), `${rule.method} ${rule.url} is not in TABLE`).toBe(true);
    }
  });

  it('names the missing role in the refusal: the environment, or * for a run without one', async () => {
    const dispatch = await call('viewer:*', 'POST', '/api/v1/dispatch', { environment: 'production' });
    expect(dispatch.body).toEqual({
      code: 'FORBIDDEN',
      message: 'dispatching to production needs the deployer:production role; viewer holds viewer:*',
      hint: 'Ask an admin for a token with deployer:production (gantry token create --user NAME --role deployer:production).',
    });
    const cancel = await call('deployer:dev', 'POST', `/api/v1/runs/${ids.ci}/cancel`);
    expect(cancel.body.message).toBe(`cancelling run #${ids.ci} (no environment) needs the deployer:* role; deployer-dev holds deployer:dev`);
    const tokens = await call('deployer:production', 'GET', '/api/v1/tokens');
    expect(tokens.body.message).toMatch(/^listing tokens needs the admin role/);
  });

  it('keeps an unknown route a 404, and a run or backup that does not exist a 404', async () => {
    expect((await call('viewer:*', 'POST', '/api/v1/nothing-here')).status).toBe(404);
    expect((await call('viewer:*', 'POST', '/api/v1/runs/9999/cancel')).body.code).toBe('RUN_NOT_FOUND');
    expect((await call('viewer:*', 'POST', '/api/v1/backups/9999/restore')).body.code).toBe('BACKUP_NOT_FOUND');
  });

  it('needs admin for a route missing from the table (fail closed)', () => {
    expect(ruleFor('POST', '/api/v1/some-new-route')).toMatchObject({ role: 'admin', environment: 'global' });
    expect(ruleFor('HEAD', '/api/v1/runs')).toMatchObject({ role: 'viewer' });
  });

  it('prints the missing role from the CLI: gantry dispatch production with a viewer token', async () => {
    if (!existsSync(CLI)) throw new Error('dist/cli/main.js is missing: run `npm run build` first');
    const r = await new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(process.execPath, [CLI, 'dispatch', 'production'], { env: { ...process.env, NO_COLOR: '1', GANTRY_SERVER: t.server.url, GANTRY_TOKEN: tokens['viewer:*'] } }, (error, _stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stderr });
      });
    });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('FORBIDDEN: dispatching to production needs the deployer:production role; viewer holds viewer:*');
    expect(r.stderr).toContain('hint: Ask an admin for a token with deployer:production (gantry token create --user NAME --role deployer:production).');
  });
});
