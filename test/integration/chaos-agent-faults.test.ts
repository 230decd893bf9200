import { request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePorts, revisionOf, revisionSpec, serveRevisionOne, serviceArtifact, spawnAgent, type AgentProcess, type Artifact } from '../support/agent-process.js';
import { TempDirs, until } from '../support/temp.js';

/**
 * Issue 15, item 4: a chaos check's faults at the built-in router, through a real `gantry agent`
 * process and the LocalTarget the control plane uses. The faults' timer runs in the agent: once
 * turned on, nothing on the control plane's side is needed for them to end.
 */

const temp = new TempDirs();
let artifact: Artifact;
const agents: AgentProcess[] = [];

beforeAll(async () => {
  artifact = await serviceArtifact(temp);
});
afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.stop()));
});
afterAll(() => temp.cleanup());

function config(port: number): string {
  return `version: 1
project:
  name: chaos-faults-test
repository:
  url: .
services:
  api:
    path: api
    run:
      command: node server.mjs
      port: ${port}
environments:
  staging:
    branch: staging
`;
}

async function servedAgent(): Promise<{ agent: AgentProcess; url: string }> {
  const port = await freePorts(31_200, 600, 1);
  const agent = await spawnAgent(temp, config(port));
  agents.push(agent);
  await serveRevisionOne(agent, artifact, 'staging', ['api']);
  return { agent, url: `http://127.0.0.1:${port}/who` };
}

async function get(url: string): Promise<{ status: number; fault: string | undefined; ms: number }> {
  const started = performance.now();
  const res = await request(url);
  await res.body.text();
  const fault = res.headers['x-gantry-fault'];
  return { status: res.statusCode, fault: typeof fault === 'string' ? fault : undefined, ms: performance.now() - started };
}

describe('chaos faults at the agent', () => {
  it('aborts requests with the status asked for, and the faults end by themselves when their time is up', async () => {
    const { agent, url } = await servedAgent();
    expect((await get(url)).status).toBe(200);
    const on = await agent.target.injectFaults('staging', 'api', { abort: { status: 503, share: 1 } }, 1_500);
    expect(on.faults).toEqual({ abort: { status: 503, share: 1 } });
    const aborted = await get(url);
    expect(aborted).toMatchObject({ status: 503, fault: 'abort' });
    // No call to the agent from here on: only the route is asked, until it answers 200 again.
    await until('the faults to expire in the agent', async () => (await get(url)).status === 200, 10_000, 100);
    const after = await get(url);
    expect(after).toMatchObject({ status: 200, fault: undefined });
    // What the faults did, read after they ended (the control plane reads this after a check).
    const cleared = await agent.target.clearFaults('staging', 'api');
    expect(cleared?.counts.aborted).toBeGreaterThanOrEqual(1);
    expect(cleared?.counts.aborted).toBe(cleared?.counts.seen);
  });

  it('delays requests by the latency asked for until the faults are cleared', async () => {
    const { agent, url } = await servedAgent();
    await agent.target.injectFaults('staging', 'api', { latency: { ms: 2_000, share: 1 } }, 60_000);
    const slow = await get(url);
    expect(slow.status).toBe(200);
    expect(slow.ms).toBeGreaterThanOrEqual(1_990);
    const cleared = await agent.target.clearFaults('staging', 'api');
    expect(cleared?.counts).toMatchObject({ seen: 1, delayed: 1, aborted: 0, reset: 0 });
    const fast = await get(url);
    expect(fast.status).toBe(200);
    expect(fast.ms).toBeLessThan(1_500);
  });

  it('resets the connection of requests a reset fault hits', async () => {
    const { agent, url } = await servedAgent();
    await agent.target.injectFaults('staging', 'api', { reset: { share: 1 } }, 60_000);
    const failed = await request(url).then(
      () => undefined,
      (error: unknown) => error as Error & { code?: string },
    );
    expect(failed).toBeDefined();
    expect(String(failed?.code ?? failed?.message)).toMatch(/ECONNRESET|UND_ERR_SOCKET|other side closed/);
    await agent.target.clearFaults('staging', 'api');
    expect((await get(url)).status).toBe(200);
  });

  it('kills one replica with SIGKILL and the agent starts it again', async () => {
    const port = await freePorts(31_200, 600, 1);
    const agent = await spawnAgent(temp, config(port));
    agents.push(agent);
    await agent.target.startRevision({ ...revisionSpec(artifact, 'staging', 'api', 1), replicas: 2 });
    await until('both replicas ready', async () => (await revisionOf(agent, 'staging', 'api', 1))?.readyReplicas === 2, 20_000);
    const killed = await agent.target.killReplica('staging', 'api', 1);
    expect(killed.replica).toMatch(/^api-r1-[01]$/);
    // Gone once its parent (the agent) has reaped it: until then a killed process is a zombie that signal 0 still finds.
    await until('the killed process to be gone', () => {
      try {
        process.kill(killed.pid, 0);
        return false;
      } catch {
        return true;
      }
    }, 5_000, 20);
    await until(
      'the killed replica restarted and ready',
      async () => {
        const status = await revisionOf(agent, 'staging', 'api', 1);
        const replica = status?.replicas?.[killed.index];
        return replica !== undefined && replica.restarts > killed.restartsBefore && replica.ready;
      },
      30_000,
      100,
    );
  });

  it('refuses faults it cannot apply, naming the field, and keeps serving', async () => {
    const { agent, url } = await servedAgent();
    const bad = await request(`${agent.url}/v1/environments/staging/services/api/faults`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${agent.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ faults: { abort: { status: 200, share: 1.5 } }, durationMs: 1000 }),
    });
    const body = (await bad.body.json()) as { code: string; message: string };
    expect(bad.statusCode).toBe(400);
    expect(body.code).toBe('BAD_REQUEST');
    expect(body.message).toMatch(/faults\.abort\.(status|share)/);
    const anonymous = await request(`${agent.url}/v1/environments/staging/services/api/faults`, { method: 'DELETE' });
    await anonymous.body.text();
    expect(anonymous.statusCode).toBe(401);
    await expect(agent.target.injectFaults('staging', 'nope', { reset: { share: 1 } }, 1000)).rejects.toMatchObject({ code: 'ENVIRONMENT_NOT_SERVED' });
    expect((await agent.target.clearFaults('staging', 'api'))).toBeNull();
    expect((await get(url)).status).toBe(200);
  });
});
