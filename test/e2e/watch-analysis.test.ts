import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoadDriver } from '../../src/cli/demo/load-driver.js';
import type { ScratchRepo } from '../../src/cli/demo/scratch-repo.js';
import type { RunView, StepView } from '../../src/server/views.js';
import { basePort, faultConfig, serviceFiles } from '../support/deploy-fixture.js';
import { fixtureRepo, pushChange } from '../support/fixture-repo.js';
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

describe('the watch window’s analysis', () => {
  const temp = new TempDirs();
  const port = basePort();
  // The plain error-rate threshold is switched off (1.0), so only the analysis can judge the release.
  const config = faultConfig(port, 1_200).replace('maxErrorRate: 0.05', 'maxErrorRate: 1').replace('      onInconclusive: fail\n', `      onInconclusive: fail\n${ANALYSIS}`);
  let t: TestServer;
  let repo: ScratchRepo;
  const url = `http://127.0.0.1:${port}/`;

  const deployUnderLoad = async (ref: string): Promise<{ run: RunView; steps: StepView[] }> => {
    const load = new LoadDriver([url], 2);
    load.start();
    const res = await t.api<{ run: RunView }>('POST', '/api/v1/dispatch', { environment: 'prod', ref });
    const run = await t.finished(res.body.run.id, 60_000);
    await load.stop();
    return run;
  };

  beforeAll(async () => {
    const root = await temp.make();
    repo = await fixtureRepo(root, { 'gantry.yaml': config, ...serviceFiles('good') });
    t = await startTestServer(root, repo, config);
  });
  afterAll(async () => {
    await t.server.close({ stopAgents: true });
    await temp.cleanup();
  });

  it('passes a healthy release with every measurement kept on the step', async () => {
    const run = await deployUnderLoad('main');
    expect(run.run.state, JSON.stringify(run.run.error)).toBe('succeeded');
    const watch = run.steps.find((s) => s.key === 'watch:prod');
    expect(watch?.message).toBe('thresholds held and the analysis passed');
    const analysis = (watch?.summary?.analysis as Array<{ service: string; phase: string; measurements: unknown[] }>)[0];
    expect(analysis).toMatchObject({ service: 'api', phase: 'successful' });
    expect(analysis?.measurements).toHaveLength(3);
  });

  it('fails a release whose error rate the analysis measures too high, and rolls it back', async () => {
    await pushChange(repo, 'feature/errors', serviceFiles('bad', 'errors'), 'bad', 'main');
    const run = await deployUnderLoad('feature/errors');
    expect(run.run.state).toBe('failed');
    expect(run.run.error?.code).toBe('ANALYSIS_FAILED');
    expect(run.run.error?.message).toMatch(/error-rate/);
    expect(run.steps.find((s) => s.key === 'rollback:prod')?.state).toBe('succeeded');
    const served = (await (await fetch(url)).json()) as { version: string };
    expect(served.version).toBe('good');
  });
});
