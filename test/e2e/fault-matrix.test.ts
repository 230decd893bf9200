import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScratchRepo } from '../../src/cli/demo/scratch-repo.js';
import { LoadDriver } from '../../src/cli/demo/load-driver.js';
import type { RunView, StepView } from '../../src/server/views.js';
import { basePort, faultConfig, serviceFiles } from '../support/deploy-fixture.js';
import { fixtureRepo, pushChange } from '../support/fixture-repo.js';
import { TempDirs } from '../support/temp.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

interface Deployment {
  revision: number;
  state: string;
  reason: string | null;
}

describe('every kind of failed deployment rolls back by itself while the old revision keeps serving', () => {
  const temp = new TempDirs();
  const port = basePort();
  const config = faultConfig(port, 1_500);
  let t: TestServer;
  let repo: ScratchRepo;
  const url = `http://127.0.0.1:${port}/`;

  beforeAll(async () => {
    const root = await temp.make();
    repo = await fixtureRepo(root, { 'gantry.yaml': config, ...serviceFiles('good') });
    t = await startTestServer(root, repo, config);
    const first = await t.api<{ run: RunView }>('POST', '/api/v1/dispatch', { environment: 'prod', ref: 'main' });
    // The good release needs traffic during its own watch window, or it is inconclusive.
    const load = new LoadDriver([url], 2);
    load.start();
    const run = await t.finished(first.body.run.id, 60_000);
    await load.stop();
    expect(run.run.state, JSON.stringify(run.run.error)).toBe('succeeded');
  });
  afterAll(async () => {
    await t.server.close({ stopAgents: true });
    await temp.cleanup();
  });

  const cases: Array<[string, string, string, RegExp]> = [
    ['crashes on start', 'crash', 'REVISION_', /r\d+/],
    ['never becomes ready', 'never-ready', 'REVISION_NOT_READY', /not ready|ready/],
    ['fails its health check after the switch', 'degrades', 'HEALTH_CHECK_FAILED', /health check/],
    ['fails a smoke test on the preview', 'bad-json', 'PRE_SWITCH_CHECK_FAILED', /smoke test "answers with its service name"/],
    ['spikes its error rate during the watch window', 'errors', 'WATCH_FAILED', /error rate/],
  ];

  it.each(cases)('when the new revision %s', async (_what, mode, code, message) => {
    await pushChange(repo, `feature/${mode}`, serviceFiles(`bad-${mode}`, mode), `break: ${mode}`, 'main');
    const load = new LoadDriver([url], 2);
    load.start();
    const res = await t.api<{ run: RunView }>('POST', '/api/v1/dispatch', { environment: 'prod', ref: `feature/${mode}` });
    const run = await t.finished(res.body.run.id, 90_000);
    const traffic = await load.stop();
    expect(run.run.state).toBe('failed');
    expect(run.run.error?.code.startsWith(code), `${run.run.error?.code}: ${run.run.error?.message}`).toBe(true);
    expect(run.run.error?.message).toMatch(message);
    const rollback = run.steps.find((s: StepView) => s.key === 'rollback:prod');
    expect(rollback?.state).toBe('succeeded');
    const history = await t.api<{ deployments: Deployment[] }>('GET', '/api/v1/environments/prod/history');
    const latest = history.body.deployments[0];
    expect(latest?.state).toBe('rolled-back');
    expect(latest?.reason).toMatch(message);
    const served = (await (await fetch(url)).json()) as { version: string };
    expect(served.version).toBe('good');
    // The router kept answering throughout (only the bad revision itself may have erred after a switch).
    expect(traffic.ok).toBeGreaterThan(0);
    if (mode !== 'errors' && mode !== 'degrades') expect(traffic.failed).toBe(0);
  });
});
