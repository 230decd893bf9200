import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunView, StepView } from '../../src/server/views.js';
import { basePort, faultConfig, serviceFiles } from '../support/deploy-fixture.js';
import { fixtureRepo } from '../support/fixture-repo.js';
import { TempDirs, until } from '../support/temp.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

describe('a watch window that sees no traffic', () => {
  const temp = new TempDirs();
  const port = basePort();
  let failing: TestServer;
  let pausing: TestServer;

  beforeAll(async () => {
    const a = await temp.make();
    const config = faultConfig(port, 600);
    failing = await startTestServer(a, await fixtureRepo(a, { 'gantry.yaml': config, ...serviceFiles('v1') }), config);
    const b = await temp.make();
    // A window long enough to be seen while it runs: its step waits between looks then, and asks nobody.
    const pauseConfig = faultConfig(port + 30, 4_000).replace('onInconclusive: fail', 'onInconclusive: pause');
    pausing = await startTestServer(b, await fixtureRepo(b, { 'gantry.yaml': pauseConfig, ...serviceFiles('v1') }), pauseConfig);
  });
  afterAll(async () => {
    await failing.server.close({ stopAgents: true });
    await pausing.server.close({ stopAgents: true });
    await temp.cleanup();
  });

  it('is inconclusive, never a pass: with onInconclusive fail the deployment fails and is rolled back', async () => {
    const res = await failing.api<{ run: RunView }>('POST', '/api/v1/dispatch', { environment: 'prod' });
    const run = await failing.finished(res.body.run.id, 60_000);
    expect(run.run.state).toBe('failed');
    expect(run.run.error).toMatchObject({ code: 'WATCH_INCONCLUSIVE' });
    expect(run.run.error?.message).toMatch(/inconclusive: no traffic reached api during the watch window/);
    expect(run.steps.find((s: StepView) => s.key === 'rollback:prod')?.state).toBe('succeeded');
  });

  it('with onInconclusive pause it waits for a person, who can accept it', async () => {
    const res = await pausing.api<{ run: RunView }>('POST', '/api/v1/dispatch', { environment: 'prod' });
    const id = res.body.run.id;
    type RunBody = { steps: StepView[]; awaiting: { step: string; kind: string; environment: string } | null };
    type Approvals = { approvals: Array<{ run: RunView; kind: string; environment: string }> };
    const { body: token } = await pausing.api<{ token: string }>('POST', '/api/v1/tokens', { user: 'oncall', roles: ['approver:prod'] });
    const approve = (comment: string) => pausing.server.app.inject({ method: 'POST', url: `/api/v1/runs/${id}/approve`, headers: { authorization: `Bearer ${token.token}` }, payload: { comment } });
    // While the window runs, the watch step waits between its looks: nobody is asked, and an approval is refused.
    await until('the watch step to wait between looks', async () => /^watching/.test((await pausing.api<RunBody>('GET', `/api/v1/runs/${id}`)).body.steps.find((s) => s.key === 'watch:prod' && s.state === 'waiting')?.message ?? ''), 60_000, 50);
    expect((await pausing.api<Approvals>('GET', '/api/v1/approvals')).body.approvals).toEqual([]);
    expect((await pausing.api<RunBody>('GET', `/api/v1/runs/${id}`)).body.awaiting).toBeNull();
    const early = await approve('too early');
    expect(early.statusCode).toBe(409);
    expect(early.json()).toMatchObject({ code: 'APPROVAL_NOT_PENDING' });
    const during = (await pausing.api<RunBody>('GET', `/api/v1/runs/${id}`)).body.steps.find((s) => s.key === 'watch:prod');
    expect(during?.message, 'the window was still running while the approval was refused').toMatch(/^watching/);
    // Once the window ends inconclusive it pauses: the approvals list and the run's own view name the same step and decision.
    await until('the paused window to be listed', async () => ((await pausing.api<Approvals>('GET', '/api/v1/approvals')).body.approvals.length > 0 ? true : undefined), 60_000);
    const waiting = await pausing.api<Approvals>('GET', '/api/v1/approvals');
    expect(waiting.body.approvals.map((a) => [a.run.id, a.kind])).toEqual([[id, 'analysis']]);
    const detail = (await pausing.api<RunBody>('GET', `/api/v1/runs/${id}`)).body;
    expect(detail.awaiting).toEqual({ step: 'watch:prod', kind: 'analysis', environment: 'prod' });
    expect(detail.steps.find((s) => s.key === 'watch:prod')?.message).toMatch(/waiting for a decision/);
    expect(waiting.body.approvals.map((a) => ({ kind: a.kind, environment: a.environment }))).toEqual([{ kind: detail.awaiting?.kind, environment: detail.awaiting?.environment }]);
    const accepted = await approve('quiet hour, checked by hand');
    expect(accepted.statusCode).toBe(201);
    const run = await pausing.finished(id, 60_000);
    expect(run.run.state).toBe('succeeded');
    expect(run.steps.find((s) => s.key === 'watch:prod')?.message).toBe('inconclusive window accepted by oncall');
  });
});
