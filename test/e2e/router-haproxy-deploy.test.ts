import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoadDriver } from '../../src/cli/demo/load-driver.js';
import type { ScratchRepo } from '../../src/cli/demo/scratch-repo.js';
import type { RunView, StepView } from '../../src/server/views.js';
import { parseServersState } from '../../src/targets/routers/haproxy/haproxy-state.js';
import { RuntimeApi } from '../../src/targets/routers/haproxy/runtime-api.js';
import { basePort, faultConfig, serviceFiles } from '../support/deploy-fixture.js';
import { fixtureRepo, pushChange } from '../support/fixture-repo.js';
import { startHaproxy, type HaproxyProcess } from '../support/haproxy.js';
import { TempDirs } from '../support/temp.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

const ANALYSIS = `      analysis:
        - name: error-rate
          provider: router
          query: error-rate
          interval: 300ms
          count: 3
          successCondition: result < 0.05
          failureLimit: 0
`;

/**
 * `gantry server` deploying an environment whose `router:` is haproxy: releases dispatched over the
 * API, users' traffic through a real HAProxy that Gantry drives through its runtime API, the watch
 * window's analysis reading HAProxy's counters. Run the server build first.
 */
describe('a deploy behind HAProxy (router: haproxy)', () => {
  const temp = new TempDirs();
  const port = basePort();
  let proxy!: HaproxyProcess;
  let t: TestServer;
  let repo: ScratchRepo;

  const deployUnderLoad = async (ref: string): Promise<{ run: RunView; steps: StepView[] }> => {
    const load = new LoadDriver([proxy.url], 2);
    load.start();
    const res = await t.api<{ run: RunView }>('POST', '/api/v1/dispatch', { environment: 'prod', ref });
    const run = await t.finished(res.body.run.id, 90_000);
    await load.stop();
    return run;
  };
  const served = async (): Promise<{ version: string; revision: string }> => (await (await fetch(proxy.url)).json()) as { version: string; revision: string };
  const servers = async (): Promise<string[]> =>
    parseServersState(await new RuntimeApi(proxy.runtimeApi, 'the test').query(['show servers state prod_api']))
      .filter((s) => s.weight > 0)
      .map((s) => s.name);

  beforeAll(async () => {
    const root = await temp.make();
    proxy = await startHaproxy(temp, 'prod_api');
    // The plain error-rate threshold is switched off (1.0), so only the analysis over HAProxy's counters can judge the release.
    const config = faultConfig(port, 1_200)
      .replace('maxErrorRate: 0.05', 'maxErrorRate: 1')
      .replace('      onInconclusive: fail\n', `      onInconclusive: fail\n${ANALYSIS}`)
      .replace('    verify:\n', `    router:\n      kind: haproxy\n      runtimeApi: ${proxy.runtimeApi}\n      url: ${proxy.url}\n    verify:\n`);
    repo = await fixtureRepo(root, { 'gantry.yaml': config, ...serviceFiles('good') });
    t = await startTestServer(root, repo, config);
  }, 60_000);
  afterAll(async () => {
    await t?.server.close({ stopAgents: true });
    await proxy?.stop();
    await temp.cleanup();
  }, 60_000);

  it('switches users to a good release through HAProxy and passes the analysis on its counters', async () => {
    const run = await deployUnderLoad('main');
    expect(run.run.state, JSON.stringify(run.run.error)).toBe('succeeded');
    const watch = run.steps.find((s) => s.key === 'watch:prod');
    expect(watch?.message).toBe('thresholds held and the analysis passed');
    expect(await served()).toMatchObject({ version: 'good', revision: '1' });
    expect(await servers()).toEqual(['r1-1']);
  }, 120_000);

  it('rolls back a release that fails under real traffic, leaving HAProxy on the previous revision', async () => {
    await pushChange(repo, 'feature/errors', serviceFiles('bad', 'errors'), 'bad', 'main');
    const run = await deployUnderLoad('feature/errors');
    expect(run.run.state).toBe('failed');
    expect(run.run.error?.code).toBe('ANALYSIS_FAILED');
    expect(run.steps.find((s) => s.key === 'rollback:prod')?.state).toBe('succeeded');
    expect(await served()).toMatchObject({ version: 'good' });
    expect(await servers()).toEqual(['r1-1']);
  }, 120_000);
});
