import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { groupAlive } from '../../src/agent/supervisor/process-group.js';
import type { RunView } from '../../src/server/views.js';
import { basePort, faultConfig, serviceFiles } from '../support/deploy-fixture.js';
import { fixtureRepo } from '../support/fixture-repo.js';
import { TempDirs, until } from '../support/temp.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

describe('stopping the agents (server close with stopAgents)', () => {
  const temp = new TempDirs();
  let t: TestServer | undefined;

  afterAll(async () => {
    await t?.server.close({ stopAgents: true });
    await temp.cleanup();
  });

  it('also stops the revisions of an agent that was killed with -9, which outlive it on purpose', async () => {
    // No watch window: nothing sends traffic here.
    const text = faultConfig(basePort(), 300).replace(/ {4}watch:\n( {6}.*\n)+/, '');
    const root = await temp.make();
    t = await startTestServer(root, await fixtureRepo(root, { 'gantry.yaml': text, ...serviceFiles('v1') }), text);
    const { body } = await t.api<{ run: RunView }>('POST', '/api/v1/dispatch', { environment: 'prod' });
    const run = await t.finished(body.run.id, 90_000);
    expect(run.run.state, JSON.stringify(run.run.error)).toBe('succeeded');
    const agentDir = join(t.dataDir, 'agents', 'local');
    const { pid, workerPid } = JSON.parse(await readFile(join(agentDir, 'agent.json'), 'utf8')) as { pid: number; workerPid: number };
    const state = JSON.parse(await readFile(join(agentDir, 'state.json'), 'utf8')) as { services: Array<{ revisions: Array<{ pids: number[] }> }> };
    const groups = state.services.flatMap((s) => s.revisions.flatMap((r) => r.pids)).filter((p) => p > 0);
    expect(groups.length).toBeGreaterThan(0);
    // The watch must not start it again before the close: stop the server's looks first by closing it.
    process.kill(pid, 'SIGKILL');
    await until('the agent and its worker to be gone', async () => !(await groupAlive(pid)) && !isAlive(workerPid), 10_000);
    for (const g of groups) expect(await groupAlive(g)).toBe(true);
    await t.server.close({ stopAgents: true });
    t = undefined;
    for (const g of groups) expect(await groupAlive(g), `revision process group ${g}`).toBe(false);
  }, 120_000);
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
