import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunView } from '../../src/server/views.js';
import { basePort, faultConfig, serviceFiles } from '../support/deploy-fixture.js';
import { fixtureRepo } from '../support/fixture-repo.js';
import { TempDirs } from '../support/temp.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

describe('approvals that never come', () => {
  const temp = new TempDirs();
  let t: TestServer;

  beforeAll(async () => {
    const root = await temp.make();
    const config = faultConfig(basePort(), 500).replace('    branch: main\n', '    branch: main\n    approvals:\n      required: 1\n      timeout: 1s\n');
    t = await startTestServer(root, await fixtureRepo(root, { 'gantry.yaml': config, ...serviceFiles('v1') }), config);
  });
  afterAll(async () => {
    await t.server.close({ stopAgents: true });
    await temp.cleanup();
  });

  it('end the run after the configured wait, before anything is deployed', async () => {
    const res = await t.api<{ run: RunView }>('POST', '/api/v1/dispatch', { environment: 'prod' });
    const run = await t.finished(res.body.run.id, 60_000);
    expect(run.run.state).toBe('failed');
    expect(run.run.error?.code).toBe('APPROVAL_TIMEOUT');
    expect(run.steps.find((s) => s.key === 'deploy:prod:api')?.state).toBe('skipped');
    const history = await t.api<{ deployments: unknown[] }>('GET', '/api/v1/environments/prod/history');
    expect(history.body.deployments).toEqual([]);
  });
});
