import { afterAll, expect, it } from 'vitest';
import { freePorts, spawnAgent, type AgentProcess } from '../support/agent-process.js';
import { TempDirs } from '../support/temp.js';

/**
 * Two control-plane calls that each tell a fresh agent its routes at the same moment (a deploy and
 * a status page, or two targets made for one agent) must both succeed: the second finds the route
 * listening, or being opened, and is not refused. Run the server build first.
 */
const temp = new TempDirs();
let agent: AgentProcess | undefined;

afterAll(async () => {
  await agent?.stop();
  await temp.cleanup();
});

it('answers concurrent PUT /v1/routes for the same routes without a CONFLICT, and listens once', async () => {
  const port = await freePorts(36_000, 2_000, 2);
  // gantry.yaml gives the agent no environment: every route comes from the control plane.
  agent = await spawnAgent(temp, 'version: 1\nproject:\n  name: race\nrepository:\n  url: .\nservices:\n  api:\n    path: svc\n');
  const routes = { routes: [{ environment: 'dev', service: 'api', port, previewPort: port + 1 }] };
  const put = async (): Promise<{ status: number; body: string }> => {
    const res = await fetch(`${agent?.url ?? ''}/v1/routes`, { method: 'PUT', headers: { authorization: `Bearer ${agent?.token ?? ''}`, 'content-type': 'application/json' }, body: JSON.stringify(routes) });
    return { status: res.status, body: await res.text() };
  };
  const answers = await Promise.all([put(), put(), put()]);
  expect(answers).toEqual([0, 1, 2].map(() => ({ status: 200, body: JSON.stringify({ routes: 1 }) })));
  // The route listens (an empty route answers 503 NO_BACKEND, not a refused connection).
  expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(503);
});
