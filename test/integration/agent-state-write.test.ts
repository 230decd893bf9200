import { mkdir, readFile, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePorts, serveRevisionOne, serviceArtifact, spawnAgent, type AgentProcess, type Artifact } from '../support/agent-process.js';
import { TempDirs, until } from '../support/temp.js';

/**
 * Issue 18, item 1 (last part): a state write that fails is an error that is retried and reported,
 * never a silent divergence between what the agent routes and what a restart would restore.
 * The failure is a real one: a directory where the worker writes its temp file (EISDIR; EMFILE and
 * ENOSPC take the same path).
 */

interface Health {
  stateWrite: { ok: boolean; lastError: string | null; failingSince: number | null };
}

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

async function health(agent: AgentProcess): Promise<Health> {
  const res = await fetch(`${agent.url}/v1/health`, { headers: { authorization: `Bearer ${agent.token}` } });
  return (await res.json()) as Health;
}

async function savedWeights(agent: AgentProcess): Promise<Record<string, number> | undefined> {
  const state = JSON.parse(await readFile(join(agent.dataDir, 'state.json'), 'utf8')) as { services: { service: string; weights: { main: Record<string, number> } }[] };
  return state.services.find((s) => s.service === 'api')?.weights.main;
}

describe('the agent state file', () => {
  it('retries a failed write until it succeeds, shows the failure in GET /v1/health and the log, and answers the change only once it is on disk', async () => {
    const port = await freePorts(26_000, 990, 1);
    const agent = await spawnAgent(
      temp,
      `version: 1
project:
  name: state-write-test
repository:
  url: .
services:
  api:
    path: api
    run:
      command: node server.mjs
      port: ${port}
environments:
  production:
    branch: main
`,
    );
    agents.push(agent);
    await serveRevisionOne(agent, artifact, 'production', ['api']);
    await until('state.json to hold the route', async () => (await savedWeights(agent))?.['1'] === 100);
    expect((await health(agent)).stateWrite).toEqual({ ok: true, lastError: null, failingSince: null });

    // The worker writes state.json.<its pid>.tmp, then renames it: make that path unwritable.
    const { workerPid } = JSON.parse(await readFile(join(agent.dataDir, 'agent.json'), 'utf8')) as { workerPid: number };
    const blocker = join(agent.dataDir, `state.json.${workerPid}.tmp`);
    await mkdir(blocker);
    let answered = false;
    const change = agent.target.setWeights('production', 'api', 'main', { '1': 50 }).then(() => (answered = true));

    const failing = await until('health to report the failing write', async () => {
      const h = await health(agent);
      return h.stateWrite.ok ? undefined : h.stateWrite;
    });
    expect(failing.lastError).toContain('EISDIR');
    expect(failing.failingSince).toBeGreaterThan(Date.now() - 60_000);
    await until('the agent log to show the failure at error level', () => /"level":50[^\n]*writing the agent state failed/.test(agent.output()));
    await until('a few retries', () => (agent.output().match(/writing the agent state failed/g) ?? []).length >= 3);
    expect(answered).toBe(false);
    expect(await savedWeights(agent)).toEqual({ '1': 100 });

    // The cause goes away: the next retry writes, health is ok again, and the call is answered.
    await rmdir(blocker);
    await change;
    expect(await savedWeights(agent)).toEqual({ '1': 50 });
    expect((await health(agent)).stateWrite).toEqual({ ok: true, lastError: null, failingSince: null });
    expect(agent.output()).toContain('writing the agent state works again');
  }, 90_000);
});
