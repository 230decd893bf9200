import { createServer, type Server } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunView } from '../../src/server/views.js';
import { basePort, faultConfig, serviceFiles } from '../support/deploy-fixture.js';
import { fixtureRepo } from '../support/fixture-repo.js';
import { TempDirs } from '../support/temp.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

describe('an agent that cannot start', () => {
  const temp = new TempDirs();
  let t: TestServer | undefined;
  let squatter: Server | undefined;

  afterAll(async () => {
    await t?.server.close({ stopAgents: true });
    await new Promise((resolve) => (squatter ? squatter.close(resolve) : resolve(undefined)));
    await temp.cleanup();
  });

  it('fails the deployment at once with the reason the agent gave (a port another program holds), instead of waiting on it', async () => {
    const port = basePort();
    // Another program holds production's port: the agent cannot open the route there.
    squatter = createServer();
    await new Promise<void>((resolve) => squatter?.listen(port, '127.0.0.1', resolve));
    const text = faultConfig(port, 500);
    const root = await temp.make();
    t = await startTestServer(root, await fixtureRepo(root, { 'gantry.yaml': text, ...serviceFiles('v1') }), text);
    const { body } = await t.api<{ run: RunView }>('POST', '/api/v1/dispatch', { environment: 'prod' });
    const run = await t.finished(body.run.id, 60_000);
    expect(run.run.state).toBe('failed');
    expect(run.run.error?.code).toBe('AGENT_UNREACHABLE');
    expect(run.run.error?.message).toContain(`the agent for target local did not start: CONFLICT: route prod/api/main cannot listen on 127.0.0.1:${port}`);
    expect(run.run.error?.message).toContain('EADDRINUSE');
    // Not retried: one attempt of the deploy step.
    const deploy = run.steps.find((s) => s.key.startsWith('deploy:prod'));
    expect(deploy?.attempt).toBe(1);
  }, 90_000);
});
