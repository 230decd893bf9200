import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunView, StepView } from '../../src/server/views.js';
import { basePort, deployConfig, serviceFiles } from '../support/deploy-fixture.js';
import { fixtureRepo, pushChange } from '../support/fixture-repo.js';
import { TempDirs, until } from '../support/temp.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import type { ScratchRepo } from '../../src/cli/demo/scratch-repo.js';

async function live(port: number): Promise<Record<string, string>> {
  const res = await fetch(`http://127.0.0.1:${port}/`);
  return (await res.json()) as Record<string, string>;
}

describe('a release moving develop → staging → production', () => {
  const temp = new TempDirs();
  const port = basePort();
  const config = deployConfig({ port, productionApprovals: 2 });
  let t: TestServer;
  let repo: ScratchRepo;
  const tokens: Record<string, string> = {};

  const as = async <T>(user: string, method: 'GET' | 'POST', path: string, body?: unknown) => {
    const res = await t.server.app.inject({ method, url: path, headers: { authorization: `Bearer ${tokens[user] ?? ''}` }, ...(body === undefined ? {} : { payload: body as object }) });
    return { status: res.statusCode, body: res.json<T & { code?: string; message?: string }>() };
  };

  beforeAll(async () => {
    const root = await temp.make();
    repo = await fixtureRepo(root, { 'gantry.yaml': config, ...serviceFiles('v1') });
    t = await startTestServer(root, repo, config);
    for (const [user, roles, email] of [
      ['alice', ['approver:production'], 'alice@shop.test'],
      ['bob', ['approver:*'], 'bob@shop.test'],
      ['carol', ['deployer:production'], 'carol@shop.test'],
      ['ada', ['approver:production'], 'ada@volteryde.example'],
    ] as const) {
      const res = await t.api<{ token: string }>('POST', '/api/v1/tokens', { user, email, roles });
      expect(res.status).toBe(201);
      tokens[user] = res.body.token;
    }
  });
  afterAll(async () => {
    await t.server.close({ stopAgents: true });
    await temp.cleanup();
  });

  it('deploys develop to dev and the same artifact to staging without rebuilding it', async () => {
    await pushChange(repo, 'develop', serviceFiles('v2'), 'v2', 'develop');
    const dev = await t.finished((await t.runFor('develop')).id, 90_000);
    expect(dev.run.state).toBe('succeeded');
    const devDigest = dev.steps.find((s) => s.key === 'build:api')?.summary?.digest;
    await repo.git('checkout', '--quiet', 'staging');
    await repo.git('merge', '--quiet', '--no-ff', '-m', 'promote to staging', 'develop');
    await repo.push('staging');
    const staging = await t.finished((await t.runFor('staging')).id, 90_000);
    expect(staging.run.state, JSON.stringify(staging.run.error)).toBe('succeeded');
    const build = staging.steps.find((s) => s.key === 'build:api');
    expect(build?.cached).toBe(true);
    expect(build?.summary?.digest).toBe(devDigest);
    expect(await live(port + 10)).toMatchObject({ version: 'v2' });
  });

  it('refuses a production dispatch without the typed phrase, and with a wrong one', async () => {
    const none = await t.api<{ code: string }>('POST', '/api/v1/dispatch', { environment: 'production' });
    expect(none.body.code).toBe('CONFIRMATION_REQUIRED');
    const wrong = await t.api<{ code: string }>('POST', '/api/v1/dispatch', { environment: 'production', confirm: 'deploy to production' });
    expect(wrong.body.code).toBe('CONFIRMATION_MISMATCH');
  });

  it('blocks a release that skipped staging at the promotion step', async () => {
    await pushChange(repo, 'feature/hotfix', serviceFiles('v-hotfix'), 'hotfix', 'develop');
    const res = await t.api<{ run: RunView }>('POST', '/api/v1/dispatch', { environment: 'production', ref: 'feature/hotfix', confirm: 'DEPLOY TO PRODUCTION' });
    expect(res.status).toBe(201);
    const run = await t.finished(res.body.run.id, 90_000);
    expect(run.run.state).toBe('failed');
    expect(run.run.error?.code).toBe('PROMOTION_BLOCKED');
    expect(run.steps.find((s) => s.key === 'deploy:production:api')?.state).toBe('skipped');
  });

  it('waits for two distinct approvers, refusing self-approval, a missing role, a wrong phrase and a second vote', async () => {
    await repo.git('checkout', '--quiet', 'main');
    await repo.git('merge', '--quiet', '--no-ff', '-m', 'release v2', 'staging');
    await repo.push('main');
    const run = await t.runFor('main');
    await until('the approval step to wait', async () => {
      const r = await t.api<{ steps: StepView[] }>('GET', `/api/v1/runs/${run.id}`);
      return r.body.steps.find((s) => s.key === 'approval:production')?.state === 'waiting';
    }, 60_000);
    const pending = await as<{ approvals: Array<{ run: RunView; required: number; kind: string; environment: string }> }>('alice', 'GET', '/api/v1/approvals');
    expect(pending.body.approvals.map((a) => [a.run.id, a.required])).toEqual([[run.id, 2]]);
    // The run's own view names the same step and decision as the approvals list (one rule decides both).
    const detail = await t.api<{ awaiting: { step: string; kind: string; environment: string } | null }>('GET', `/api/v1/runs/${run.id}`);
    expect(detail.body.awaiting).toEqual({ step: 'approval:production', kind: 'deploy', environment: 'production' });
    expect(pending.body.approvals.map((a) => ({ kind: a.kind, environment: a.environment }))).toEqual([{ kind: detail.body.awaiting?.kind, environment: detail.body.awaiting?.environment }]);

    const phrase = { confirm: 'DEPLOY TO PRODUCTION' };
    expect((await as('ada', 'POST', `/api/v1/runs/${run.id}/approve`, phrase)).body.code).toBe('APPROVAL_SELF');
    expect((await as('carol', 'POST', `/api/v1/runs/${run.id}/approve`, phrase)).body.code).toBe('APPROVAL_ROLE_MISSING');
    expect((await as('alice', 'POST', `/api/v1/runs/${run.id}/approve`, { confirm: 'yes' })).body.code).toBe('CONFIRMATION_MISMATCH');
    expect((await as('alice', 'POST', `/api/v1/runs/${run.id}/approve`, { ...phrase, comment: 'looks good' })).status).toBe(201);
    const twice = await as('alice', 'POST', `/api/v1/runs/${run.id}/approve`, phrase);
    expect(twice.status).toBe(409);
    expect(twice.body.code).toBe('APPROVAL_DUPLICATE');
    await until('the step to show one of two approvals', async () => {
      const still = await t.api<{ steps: StepView[] }>('GET', `/api/v1/runs/${run.id}`);
      return /1\/2 \(alice\)/.test(still.body.steps.find((s) => s.key === 'approval:production')?.message ?? '');
    });
    expect((await as('bob', 'POST', `/api/v1/runs/${run.id}/approve`, phrase)).status).toBe(201);

    const done = await t.finished(run.id, 90_000);
    expect(done.run.state, JSON.stringify(done.run.error)).toBe('succeeded');
    expect(done.steps.find((s) => s.key === 'approval:production')?.summary).toEqual({ approvedBy: ['alice', 'bob'] });
    expect((await t.api<{ awaiting: unknown }>('GET', `/api/v1/runs/${run.id}`)).body.awaiting).toBeNull();
    expect(await live(port + 20)).toMatchObject({ version: 'v2', revision: '1' });
  });

  it('ends the run on one rejection', async () => {
    const res = await t.api<{ run: RunView }>('POST', '/api/v1/dispatch', { environment: 'production', confirm: 'DEPLOY TO PRODUCTION' });
    const id = res.body.run.id;
    await until('the approval step to wait', async () => (await t.api<{ steps: StepView[] }>('GET', `/api/v1/runs/${id}`)).body.steps.find((s) => s.key === 'approval:production')?.state === 'waiting', 60_000);
    expect((await as('bob', 'POST', `/api/v1/runs/${id}/reject`, { reason: 'not on a Friday' })).status).toBe(201);
    const run = await t.finished(id, 60_000);
    expect(run.run.state).toBe('failed');
    expect(run.run.error?.message).toMatch(/bob rejected the deployment to production: not on a Friday/);
    expect(await live(port + 20)).toMatchObject({ version: 'v2', revision: '1' });
  });

  it('lists each environment with what is live', async () => {
    const res = await t.api<{ environments: Array<{ name: string; services: Array<{ service: string; live: { revision: number } | null }> }> }>('GET', '/api/v1/environments');
    const byName = Object.fromEntries(res.body.environments.map((e) => [e.name, e.services[0]?.live?.revision ?? null]));
    expect(byName).toEqual({ dev: 1, staging: 1, production: 1 });
  });

  it('lets only an admin override the promotion policy, with a reason that is recorded', async () => {
    const denied = await as<{ code: string }>('carol', 'POST', '/api/v1/dispatch', { environment: 'production', ref: 'feature/hotfix', confirm: 'DEPLOY TO PRODUCTION', overridePromotion: { reason: 'hotfix for the outage' } });
    expect(denied.status).toBe(403);
    expect(denied.body.code).toBe('FORBIDDEN');
    const res = await t.api<{ run: RunView }>('POST', '/api/v1/dispatch', { environment: 'production', ref: 'feature/hotfix', confirm: 'DEPLOY TO PRODUCTION', overridePromotion: { reason: 'hotfix for the outage' } });
    const id = res.body.run.id;
    await until('the approval step to wait', async () => (await t.api<{ steps: StepView[] }>('GET', `/api/v1/runs/${id}`)).body.steps.find((s) => s.key === 'approval:production')?.state === 'waiting', 60_000);
    const steps = (await t.api<{ steps: StepView[] }>('GET', `/api/v1/runs/${id}`)).body.steps;
    expect(steps.find((s) => s.key === 'promotion:production')).toMatchObject({ state: 'succeeded', message: 'overridden by admin' });
    const events = t.server.store.events.list(50, id);
    expect((await events).find((e) => e.kind === 'promotion.overridden')?.data).toMatchObject({ reason: 'hotfix for the outage', missing: ['api'] });
    await t.api('POST', `/api/v1/runs/${id}/cancel`);
    expect((await t.finished(id, 60_000)).run.state).toBe('cancelled');
  });

  it('records every deployment as an annotation for dashboards', async () => {
    const res = await t.api<{ annotations: Array<{ kind: string; tags: string[]; text: string }> }>('GET', '/api/v1/annotations?environment=production');
    expect(res.body.annotations.find((a) => a.kind === 'deployment.succeeded')).toMatchObject({ tags: ['gantry', 'production', 'api', 'deployed'], text: expect.stringMatching(/^api deployed r1 \([0-9a-f]{7}\)$/) });
  });

  it('exports the routers’ per-revision request counts on /metrics, beside the deployment counters', async () => {
    await live(port + 20);
    const res = await t.server.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${t.token}` } });
    expect(res.statusCode).toBe(200);
    expect(res.body).toMatch(/gantry_router_requests_total\{environment="production",service="api",revision="1",code="2xx"\} [1-9]\d*/);
    expect(res.body).toMatch(/gantry_deployments_total\{environment="production",service="api",result="succeeded"\} 1/);
  });
});
