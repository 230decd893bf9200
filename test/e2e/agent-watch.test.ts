import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScratchRepo } from '../../src/cli/demo/scratch-repo.js';
import type { AgentView } from '../../src/server/agent-views.js';
import { stopAgentProcesses } from '../../src/targets/local/stop-agents.js';
import { runCli } from '../support/cli.js';
import { expectDocumentedShape } from '../support/doc-shapes.js';
import { basePort, faultConfig, serviceFiles } from '../support/deploy-fixture.js';
import { fixtureRepo } from '../support/fixture-repo.js';
import { startServerProcess, type ServerProcess } from '../support/server-process.js';
import { TempDirs, until } from '../support/temp.js';

/** A real webhook receiver: what the server's notifier POSTs. */
async function receiver(): Promise<{ url: string; bodies: Array<Record<string, unknown>>; server: Server }> {
  const bodies: Array<Record<string, unknown>> = [];
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => {
      bodies.push(JSON.parse(text) as Record<string, unknown>);
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, bodies, server };
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** The default of `gantry server --agent-watch`, which this test runs with. */
const WATCH_MS = 2_000;

describe('the control plane watches its agents all the time', () => {
  const temp = new TempDirs();
  const port = basePort();
  let repo: ScratchRepo;
  let dataDir: string;
  let configPath: string;
  let server: ServerProcess;
  let hook: Awaited<ReturnType<typeof receiver>>;
  let headers: Record<string, string>;
  const procs: ChildProcess[] = [];
  const routeUrl = `http://127.0.0.1:${port}/`;

  const api = async <T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${server.url}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    return (await res.json()) as T;
  };
  const agents = async () => (await api<{ agents: AgentView[] }>('GET', '/api/v1/agents')).agents;
  const agentOf = async (target: string) => (await agents()).find((a) => a.target === target);
  const recordedPid = async () => (JSON.parse(await readFile(join(dataDir, 'agents', 'local', 'agent.json'), 'utf8')) as { pid: number }).pid;

  beforeAll(async () => {
    hook = await receiver();
    // No watch window: nothing here depends on traffic during the deployment.
    const config = `${faultConfig(port, 1).replace(/ {4}watch:\n(?: {6}.*\n)+/, '')}targets:
  spare:
    kind: local
notifications:
  channels:
    ops:
      kind: webhook
      url: ${hook.url}/gantry
  routes:
    - events: [agent.restarted, agent.down]
      channels: [ops]
`;
    const root = await temp.make();
    repo = await fixtureRepo(root, { 'gantry.yaml': config, ...serviceFiles('v1') });
    configPath = join(root, 'server.yaml');
    await writeFile(configPath, config.replace('url: .', `url: ${repo.originDir}`));
    dataDir = join(root, 'data');
    server = await startServerProcess(configPath, dataDir);
    procs.push(server.child);
    headers = { authorization: `Bearer ${(await readFile(join(dataDir, 'admin.token'), 'utf8')).trim()}`, 'content-type': 'application/json' };
    const { run } = await api<{ run: { id: number } }>('POST', '/api/v1/dispatch', { environment: 'prod', ref: 'main' });
    const done = await until(`run #${run.id} to finish`, async () => {
      const r = await api<{ run: { state: string } }>('GET', `/api/v1/runs/${run.id}`);
      return ['succeeded', 'failed', 'cancelled'].includes(r.run.state) ? r : undefined;
    }, 90_000);
    expect(done.run.state).toBe('succeeded');
  }, 120_000);

  afterAll(async () => {
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    await Promise.all(procs.map((p) => (p.exitCode === null && p.signalCode === null ? new Promise((r) => p.once('exit', r)) : undefined)));
    await stopAgentProcesses(join(dataDir, 'agents'));
    await new Promise((r) => hook.server.close(r));
    await temp.cleanup();
  });

  it('shows the deployed agent healthy and leaves a target that was never started alone', async () => {
    const pid = await recordedPid();
    const local = await until('the watch to see the agent', async () => {
      const a = await agentOf('local');
      return a?.state === 'healthy' ? a : undefined;
    }, 10_000);
    expect(local).toMatchObject({ pid, environments: ['prod'], lastRestart: null });
    // A later look at every target: the one never started is reported, and still never started.
    const seen = local.checkedAt ?? '';
    await until('a later look', async () => {
      const a = await agentOf('local');
      return a && (a.checkedAt ?? '') > seen ? a : undefined;
    }, 3 * WATCH_MS);
    expect(await agentOf('spare')).toMatchObject({ state: 'never-started', pid: null, lastRestart: null });
    expect(existsSync(join(dataDir, 'agents', 'spare', 'agent.json'))).toBe(false);
  }, 30_000);

  it('starts a kill -9ed agent again within one look, with no deployment running, and records, notifies and shows why', async () => {
    const pid = await recordedPid();
    expect((await (await fetch(routeUrl)).json()) as { version: string }).toMatchObject({ version: 'v1' });
    const killedAt = Date.now();
    process.kill(pid, 'SIGKILL');
    await until(`agent ${pid} to be gone`, () => !alive(pid), 5_000, 10);
    const answered = await until('the production route to answer again', async () => {
      const res = await fetch(routeUrl, { signal: AbortSignal.timeout(1_000) }).catch(() => undefined);
      return res?.ok ? Date.now() : undefined;
    }, 30_000, 20);
    const downMs = answered - killedAt;
    console.log(`agent-watch: kill -9 of agent ${pid} → production route answers again after ${downMs} ms (watch interval ${WATCH_MS} ms)`);

    const cause = `agent process ${pid} was gone; started again by the control plane`;
    const audit = async () => (await api<{ events: Array<{ kind: string; at: number; data: Record<string, unknown> }> }>('GET', '/api/v1/audit?limit=50')).events.filter((e) => e.kind === 'agent.restarted');
    // Recorded once the launcher has seen the new agent answer, which can be just after its routes do.
    const restarted = await until('agent.restarted in the audit log', async () => ((await audit()).length > 0 ? audit() : undefined), 15_000);
    expect(restarted).toHaveLength(1);
    // Within one look: the look that found the agent gone started it again; no look reported it down.
    expect((await api<{ events: Array<{ kind: string }> }>('GET', '/api/v1/audit?limit=50')).events.filter((e) => e.kind === 'agent.down')).toEqual([]);
    console.log(`agent-watch: kill -9 → agent.restarted recorded after ${Date.parse(String(restarted[0]?.at)) - killedAt} ms, of which the agent's start took ${String(restarted[0]?.data.startMs)} ms`);
    const newPid = await recordedPid();
    expect(newPid).not.toBe(pid);
    expect(restarted[0]?.data).toMatchObject({ target: 'local', environments: ['prod'], previousPid: pid, pid: newPid, scope: 'agent', cause });

    const notified = await until('the webhook notification', () => hook.bodies.find((b) => b.event === 'agent.restarted'), 10_000);
    expect(notified).toMatchObject({ event: 'agent.restarted', source: 'agent.restarted', environment: 'prod', reason: cause, data: { target: 'local', cause } });

    const view = await until('the watch to see the new agent', async () => {
      const a = await agentOf('local');
      return a?.state === 'healthy' && a.pid === newPid ? a : undefined;
    }, 10_000);
    expect(view.lastRestart).toMatchObject({ cause, scope: 'agent', pid: newPid });

    const cli = await runCli(['--server', server.url, '--token', headers.authorization?.slice('Bearer '.length) ?? '', 'status']);
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stdout).toMatch(new RegExp(`^local +healthy +pid ${newPid}`, 'm'));
    expect(cli.stdout).toContain(`last restart: `);
    expect(cli.stdout).toContain(cause);
    expect(cli.stdout).toMatch(/^spare +never-started/m);
    const json = await runCli(['--server', server.url, '--token', headers.authorization?.slice('Bearer '.length) ?? '', '--output', 'json', 'status']);
    const shown = JSON.parse(json.stdout) as { agents: AgentView[] };
    expect(shown.agents.find((a) => a.target === 'local')?.lastRestart?.cause).toBe(cause);
    await expectDocumentedShape(shown, 'status');
  }, 60_000);

  it("records and notifies a worker restart the agent did itself, with the cause its parent saw", async () => {
    const { pid, workerPid } = JSON.parse(await readFile(join(dataDir, 'agents', 'local', 'agent.json'), 'utf8')) as { pid: number; workerPid: number };
    const before = await until('the watch to know the worker count', async () => {
      const a = await agentOf('local');
      return a?.state === 'healthy' && a.pid === pid && a.workerRestarts !== null ? a : undefined;
    }, 10_000);
    process.kill(workerPid, 'SIGKILL');
    const event = await until('a worker agent.restarted in the audit log', async () => {
      const { events } = await api<{ events: Array<{ kind: string; data: Record<string, unknown> }> }>('GET', '/api/v1/audit?limit=50');
      return events.find((e) => e.kind === 'agent.restarted' && e.data.scope === 'worker');
    }, 20_000);
    expect(event.data).toMatchObject({ target: 'local', pid, scope: 'worker', by: 'agent', workerRestarts: (before.workerRestarts ?? 0) + 1 });
    expect(event.data.cause).toMatch(new RegExp(`^worker ${workerPid} was killed by SIGKILL; started again by the agent$`));
    // The parent, and with it every route, lived through it: it was not started again.
    expect(alive(pid)).toBe(true);
    await until('the worker notification', () => hook.bodies.find((b) => b.event === 'agent.restarted' && (b.data as Record<string, unknown>).scope === 'worker'), 10_000);
    const view = await until('the agent view to show it', async () => {
      const a = await agentOf('local');
      return a?.lastRestart?.scope === 'worker' ? a : undefined;
    }, 10_000);
    expect(view).toMatchObject({ state: 'healthy', pid, workerRestarts: (before.workerRestarts ?? 0) + 1, lastRestart: { cause: event.data.cause } });
    expect(view.workerPid).not.toBe(workerPid);
  }, 40_000);

  it('reports an agent that cannot be started again as down, alerts once, and starts it when it can', async () => {
    const pid = await recordedPid();
    const token = headers.authorization?.slice('Bearer '.length) ?? '';
    const good = await readFile(configPath, 'utf8');
    // An agent reads gantry.yaml when it starts (the running one read it long ago): broken, no new agent starts.
    await writeFile(configPath, 'version: 1\nproject: [\n');
    try {
      process.kill(pid, 'SIGKILL');
      const down = await until('agent.down in the audit log', async () => {
        const { events } = await api<{ events: Array<{ kind: string; data: Record<string, unknown> }> }>('GET', '/api/v1/audit?limit=50');
        return events.find((e) => e.kind === 'agent.down');
      }, 30_000);
      expect(down.data).toMatchObject({ target: 'local', environments: ['prod'], pid });
      expect(down.data.cause).toMatch(new RegExp(`^agent process ${pid} was gone and could not be started again: the agent for target local did not start`));
      const alert = await until('the alert', () => hook.bodies.find((b) => b.event === 'agent.down'), 10_000);
      expect(alert).toMatchObject({ source: 'agent.down', outcome: 'critical', environment: 'prod', reason: down.data.cause });
      const view = await until('the agent shown down', async () => {
        const a = await agentOf('local');
        return a?.state === 'down' ? a : undefined;
      }, 10_000);
      expect(view.error).toContain('did not start');
      const cli = await runCli(['--server', server.url, '--token', token, 'status']);
      expect(cli.code).toBe(1);
      expect(cli.stdout).toMatch(/^local +down/m);
    } finally {
      await writeFile(configPath, good);
    }
    // Fixed, the next look starts it, and the outage was told once, however many looks failed.
    const back = await until('the agent started again', async () => {
      const { events } = await api<{ events: Array<{ kind: string; data: Record<string, unknown> }> }>('GET', '/api/v1/audit?limit=100');
      return events.some((e) => e.kind === 'agent.restarted' && e.data.previousPid === pid) ? events : undefined;
    }, 30_000);
    expect(back.filter((e) => e.kind === 'agent.down')).toHaveLength(1);
    await until('the production route to answer', async () => (await fetch(routeUrl).catch(() => undefined))?.ok, 15_000);
    expect((await agentOf('local'))?.state).toBe('healthy');
  }, 90_000);

  it('reports an agent that runs but does not answer, alerts after 15 s, and ends the alert when it answers again', async () => {
    const { pid, workerPid } = JSON.parse(await readFile(join(dataDir, 'agents', 'local', 'agent.json'), 'utf8')) as { pid: number; workerPid: number };
    type Event = { id: number; kind: string; data: Record<string, unknown> };
    const events = async () => (await api<{ events: Event[] }>('GET', '/api/v1/audit?limit=100')).events;
    const lastId = Math.max(0, ...(await events()).map((e) => e.id));
    const stoppedAt = Date.now();
    process.kill(workerPid, 'SIGSTOP');
    try {
      await until('the agent shown unresponsive', async () => ((await agentOf('local'))?.state === 'unresponsive' ? true : undefined), 10_000);
      const down = await until('agent.down for the stuck agent', async () => (await events()).find((e) => e.id > lastId && e.kind === 'agent.down'), 30_000);
      expect(Date.now() - stoppedAt).toBeGreaterThanOrEqual(15_000);
      expect(down.data).toMatchObject({ target: 'local', pid });
      expect(down.data.cause).toMatch(new RegExp(`^agent process ${pid} runs but has not answered for \\d+ s`));
      await until('the alert', () => hook.bodies.find((b) => b.event === 'agent.down' && b.reason === down.data.cause), 10_000);
      // Not gone: it was not started again, and its routes (in the parent) kept serving.
      expect((await fetch(routeUrl)).ok).toBe(true);
    } finally {
      process.kill(workerPid, 'SIGCONT');
    }
    await until('agent.recovered', async () => (await events()).find((e) => e.id > lastId && e.kind === 'agent.recovered'), 15_000);
    const after = (await events()).filter((e) => e.id > lastId);
    expect(after.map((e) => e.kind)).toEqual(['agent.down', 'agent.recovered']);
    expect(await agentOf('local')).toMatchObject({ state: 'healthy', pid });
  }, 70_000);
});
