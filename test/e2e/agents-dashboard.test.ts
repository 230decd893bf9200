import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScratchRepo } from '../../src/cli/demo/scratch-repo.js';
import type { AgentView } from '../../src/server/agent-views.js';
import { stopAgentProcesses } from '../../src/targets/local/stop-agents.js';
import { launchBrowser, openPage, screenshot, signIn, type WatchedPage } from '../support/browser.js';
import { basePort, faultConfig, serviceFiles } from '../support/deploy-fixture.js';
import { fixtureRepo } from '../support/fixture-repo.js';
import { TempDirs, until } from '../support/temp.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** The agent panel of the dashboard in Debian's Chromium, and what a later server does with agents stopped on purpose. */
describe('agents on the dashboard', () => {
  const temp = new TempDirs();
  const port = basePort();
  const config = faultConfig(port, 1).replace(/ {4}watch:\n(?: {6}.*\n)+/, '');
  let root: string;
  let repo: ScratchRepo;
  let t: TestServer | undefined;
  let browser: Browser | undefined;
  const pages: WatchedPage[] = [];

  /** The admin token of the first start: a later start of the same data folder makes none. */
  let token = '';
  const agents = async (server: TestServer): Promise<AgentView[]> => {
    const res = await fetch(`${server.server.url}/api/v1/agents`, { headers: { authorization: `Bearer ${token}` } });
    return ((await res.json()) as { agents: AgentView[] }).agents;
  };
  const recordedPid = async () => (JSON.parse(await readFile(join(root, 'data', 'agents', 'local', 'agent.json'), 'utf8')) as { pid: number }).pid;

  beforeAll(async () => {
    root = await temp.make();
    repo = await fixtureRepo(root, { 'gantry.yaml': config, ...serviceFiles('v1') });
    t = await startTestServer(root, repo, config);
    token = t.token;
    const { body } = await t.api<{ run: { id: number } }>('POST', '/api/v1/dispatch', { environment: 'prod', ref: 'main' });
    expect((await t.finished(body.run.id, 90_000)).run.state).toBe('succeeded');
    browser = await launchBrowser();
  }, 120_000);

  afterAll(async () => {
    for (const p of pages) await p.context.close().catch(() => undefined);
    await browser?.close();
    await t?.server.close({ stopAgents: true });
    await stopAgentProcesses(join(root, 'data', 'agents'));
    await temp.cleanup();
  });

  it('shows each agent, and the restart of one that was killed with its cause', async () => {
    const server = t as TestServer;
    const pid = await recordedPid();
    process.kill(pid, 'SIGKILL');
    const restarted = await until('the watch to start the agent again', async () => {
      const local = (await agents(server)).find((a) => a.target === 'local');
      return local?.state === 'healthy' && local.pid !== pid && local.lastRestart ? local : undefined;
    }, 30_000);
    const watched = await openPage(browser as Browser);
    pages.push(watched);
    await signIn(watched.page, server.server.url, token, '#/');
    const row = watched.page.locator('table.agents tr[data-target="local"]');
    await row.getByText('healthy').waitFor();
    await row.getByText(`agent process ${pid} was gone; started again by the control plane`).waitFor();
    expect(await row.textContent()).toContain(String(restarted.pid));
    await screenshot(watched.page, 'environments-agents');
    expect(watched.problems).toEqual([]);
    // Its live stream would hold the server's close open.
    await watched.context.close();
  }, 60_000);

  it('a server started after its agents were stopped on purpose leaves them stopped', async () => {
    await t?.server.close({ stopAgents: true });
    const pid = await recordedPid();
    expect(alive(pid)).toBe(false);
    t = await startTestServer(root, repo, config);
    const server = t;
    // Two looks of the watch (2 s apart) after the first one that saw it stopped.
    const first = await until('the watch to look', async () => (await agents(server)).find((a) => a.target === 'local' && a.checkedAt !== null), 10_000);
    expect(first.state).toBe('stopped');
    await until('two more looks', async () => {
      const local = (await agents(server)).find((a) => a.target === 'local');
      return local && Date.parse(local.checkedAt ?? '') >= Date.parse(first.checkedAt ?? '') + 4_000 ? local : undefined;
    }, 15_000);
    expect((await agents(server)).find((a) => a.target === 'local')?.state).toBe('stopped');
    expect(await recordedPid()).toBe(pid);
    expect(alive(pid)).toBe(false);
  }, 40_000);
});
