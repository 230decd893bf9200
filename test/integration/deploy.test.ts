import { afterEach, describe, expect, it } from 'vitest';
import type { StepView } from '../../src/server/views.js';
import { basePort, deployConfig, serviceFiles } from '../support/deploy-fixture.js';
import { fixtureRepo, pushChange } from '../support/fixture-repo.js';
import { TempDirs } from '../support/temp.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

async function get(url: string): Promise<{ status: number; body: Record<string, string> }> {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json().catch(() => ({}))) as Record<string, string> };
}

describe('deploying to an environment', () => {
  const temp = new TempDirs();
  let t: TestServer | undefined;
  afterEach(async () => {
    await t?.server.close({ stopAgents: true });
    t = undefined;
    await temp.cleanup();
  });

  it('builds once, deploys a merge to develop with rolling, and serves it through the dev router', async () => {
    const port = basePort();
    const config = deployConfig({ port });
    const root = await temp.make();
    const repo = await fixtureRepo(root, { 'gantry.yaml': config, ...serviceFiles('v1') });
    t = await startTestServer(root, repo, config);
    await pushChange(repo, 'develop', serviceFiles('v2'), 'v2', 'develop');
    const run = await t.finished((await t.runFor('develop')).id, 90_000);
    expect(run.run.state, JSON.stringify(run.run.error)).toBe('succeeded');
    expect(run.steps.map((s: StepView) => [s.key, s.state])).toEqual([
      // Every run that checks a change scans it, gates or not (issue 10, item 8).
      ['scan:security', 'succeeded'],
      ['build:api', 'succeeded'],
      ['lock:dev', 'succeeded'],
      ['deploy:dev:api', 'succeeded'],
      ['verify:dev', 'succeeded'],
      ['finalize:dev', 'succeeded'],
      ['rollback:dev', 'skipped'],
    ]);
    const live = await get(`http://127.0.0.1:${port}/`);
    expect(live.body).toMatchObject({ service: 'api', version: 'v2', revision: '1' });
  });
});
