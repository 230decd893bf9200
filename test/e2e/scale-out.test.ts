import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScratchRepo } from '../../src/cli/demo/scratch-repo.js';
import { postgresDialect } from '../../src/store/postgres/postgres-dialect.js';
import { Store } from '../../src/store/store.js';
import { stopAgentProcesses } from '../../src/targets/local/stop-agents.js';
import { basePort, SERVICE_JS } from '../support/deploy-fixture.js';
import { fixtureRepo, writeTree } from '../support/fixture-repo.js';
import { startPostgres, type TestPostgres } from '../support/postgres.js';
import { CLI, startServerProcess, type ServerProcess } from '../support/server-process.js';
import { TempDirs, until } from '../support/temp.js';

/** The repository poll interval every server runs with: the watcher hand-over is measured against it. */
const POLL_MS = 3_000;
/**
 * The step lease: long enough that a server slowed by this busy machine (three servers, PostgreSQL
 * and the gates on two cores) still renews in time, short enough for the crash test to wait on.
 */
const LEASE_MS = 4_000;

/**
 * Each gate appends the commit's stamp to its own log, so a gate that ran twice (on two servers, or
 * twice on one) shows as a stamp written twice. The `test` gate of a commit holding `slow` is the one
 * the crash interrupts: its first attempt records its shell's pid and would sleep a minute.
 */
const config = (port: number, counters: string, hook: string): string => `version: 1
project:
  name: fleet
repository:
  url: ORIGIN
  defaultBranch: develop
services:
  api:
    path: api
    gates:
      - name: lint
        run: cat stamp >> ${counters}/lint.log && sleep 0.05
      - name: test
        run: |
          if [ -f slow ]; then
            if grep -q slow-start ${counters}/slow.log; then n=0; else n=60; echo "orphan $$" >> ${counters}/slow.log; fi
            echo slow-start >> ${counters}/slow.log; sleep $n; echo slow-done >> ${counters}/slow.log
          fi
          cat stamp >> ${counters}/test.log && sleep 0.05
    build:
      run: mkdir -p out && cp server.mjs version out/
      output: out
    run:
      command: node server.mjs
      port: ${port}
    health:
      path: /healthz
      interval: 100ms
      deadline: 5s
environments:
  dev:
    branch: develop
    strategy: rolling
    verify:
      - kind: health
notifications:
  channels:
    ops:
      kind: webhook
      url: ${hook}
  routes:
    - events: [run.succeeded, run.failed]
      channels: [ops]
`;

interface Delivery {
  readonly id: string;
  readonly event: string;
  readonly runId: number | null;
}

/** A real webhook receiver counting what the servers' notifiers send. */
async function receiver(): Promise<{ url: string; deliveries: Delivery[]; server: Server }> {
  const deliveries: Delivery[] = [];
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => {
      const body = JSON.parse(text) as { event: string; deliveryId: string; run: { id: number } | null };
      deliveries.push({ id: body.deliveryId, event: body.event, runId: body.run?.id ?? null });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, deliveries, server };
}

/** A live follower of a server's change stream (SSE): which runs it has seen end. */
function follow(url: string, token: string): { url: string; ended: Set<number>; close(): void } {
  const ended = new Set<number>();
  const controller = new AbortController();
  void (async () => {
    const res = await fetch(url, { headers: { authorization: `Bearer ${token}` }, signal: controller.signal });
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const frame = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const data = frame.split('\n').find((l) => l.startsWith('data: '));
        if (!frame.includes('event: changes') || !data) continue;
        const { changes } = JSON.parse(data.slice('data: '.length)) as { changes: Array<{ type: string; runId: number; state: string }> };
        for (const c of changes) if (c.type === 'run' && ['succeeded', 'failed', 'cancelled'].includes(c.state)) ended.add(c.runId);
      }
    }
  })().catch(() => undefined);
  return { url, ended, close: () => controller.abort() };
}

/** The ancestors of a process, nearest first, from /proc. */
async function ancestors(pid: number): Promise<number[]> {
  const chain: number[] = [];
  for (let p = pid; p > 1; ) {
    const stat = await readFile(`/proc/${p}/stat`, 'utf8').catch(() => '');
    if (!stat) break;
    p = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    chain.push(p);
  }
  return chain;
}

/** Gone, or a zombie waiting to be reaped: either way it runs no more. */
async function stillRuns(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return stat !== '' && stat.slice(stat.lastIndexOf(')') + 2).charAt(0) !== 'Z';
}

interface RunView {
  readonly id: number;
  readonly state: string;
  readonly branch: string | null;
}

describe('three gantry servers on one PostgreSQL database and one repository', () => {
  const temp = new TempDirs();
  const port = basePort();
  const procs: ChildProcess[] = [];
  let pg: TestPostgres;
  let database: string;
  let store: Store;
  let hook: Awaited<ReturnType<typeof receiver>>;
  let repo: ScratchRepo;
  let root: string;
  let counters: string;
  let configPath: string;
  let shared: string;
  let token: string;
  const servers: ServerProcess[] = [];

  const headers = (): Record<string, string> => ({ authorization: `Bearer ${token}`, 'content-type': 'application/json' });
  const living = (): ServerProcess[] => servers.filter((s) => s.child.exitCode === null && s.child.signalCode === null);
  const api = async <T>(server: ServerProcess, method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${server.url}${path}`, { method, headers: headers(), ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    if (!res.ok) throw new Error(`${method} ${path} on ${server.url}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };
  const runs = async (): Promise<RunView[]> => (await api<{ runs: RunView[] }>(living()[0] as ServerProcess, 'GET', '/api/v1/runs?limit=200')).runs;
  const lines = async (name: string): Promise<string[]> => (await readFile(join(counters, name), 'utf8').catch(() => '')).split('\n').filter(Boolean);
  const start = async (n: number): Promise<ServerProcess> => {
    const s = await startServerProcess(configPath, join(root, `data-${n}`), ['--database', database, '--shared-dir', shared, '--poll', `${POLL_MS}ms`, '--lease-ms', String(LEASE_MS)]);
    procs.push(s.child);
    return s;
  };
  /** Pushes one commit on each of `branches` in a single `git push`, each with a stamp of its own. */
  const burst = async (branches: readonly string[], extra: Record<string, string> = {}): Promise<void> => {
    for (const branch of branches) {
      await repo.git('checkout', '--quiet', '-b', branch, 'develop');
      await writeTree(repo.workDir, { 'api/stamp': `${branch}\n`, ...extra });
      await repo.commitAll(`work on ${branch}`);
    }
    await repo.git('checkout', '--quiet', 'develop');
    await repo.push(...branches);
  };
  const ended = (r: RunView): boolean => ['succeeded', 'failed', 'cancelled'].includes(r.state);
  /** What went wrong in the first run that did not succeed, for the assertion's message. */
  const why = async (list: readonly RunView[]): Promise<string> => {
    const bad = list.find((r) => r.state !== 'succeeded');
    if (!bad) return '';
    const body = await api<{ run: unknown; steps: Array<{ key: string; state: string; error: unknown }> }>(living()[0] as ServerProcess, 'GET', `/api/v1/runs/${bad.id}`);
    return JSON.stringify({ run: body.run, steps: body.steps.filter((x) => x.state !== 'succeeded') }).slice(0, 3000);
  };

  beforeAll(async () => {
    expect(existsSync(CLI), 'run `npm run build` first').toBe(true);
    pg = await startPostgres();
    database = await pg.newDatabase();
    hook = await receiver();
    root = await temp.make();
    // Gates of a server started as root run as nobody: they must reach and append to the counters.
    await chmod(root, 0o711);
    counters = join(root, 'counters');
    await mkdir(counters, { mode: 0o777 });
    await chmod(counters, 0o777);
    for (const f of ['lint.log', 'test.log', 'slow.log']) {
      await writeFile(join(counters, f), '', { mode: 0o666 });
      await chmod(join(counters, f), 0o666);
    }
    const text = config(port, counters, hook.url);
    repo = await fixtureRepo(root, { 'gantry.yaml': text.replace('ORIGIN', '.'), 'api/server.mjs': SERVICE_JS, 'api/version': 'v1\n', 'api/stamp': 'initial\n' });
    configPath = join(root, 'server.yaml');
    await writeFile(configPath, text.replace('ORIGIN', repo.originDir));
    shared = join(root, 'shared');
    // All three at once on an empty database: one of them migrates it (under the migration lock) and
    // one makes the bootstrap admin token.
    servers.push(...(await Promise.all([start(1), start(2), start(3)])));
    const tokens = (await Promise.all([1, 2, 3].map((n) => readFile(join(root, `data-${n}`, 'admin.token'), 'utf8').catch(() => undefined)))).filter((t) => t !== undefined);
    expect(tokens).toHaveLength(1);
    token = (tokens[0] as string).trim();
    store = await Store.open(postgresDialect(database));
  }, 120_000);

  afterAll(async () => {
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGTERM');
    await Promise.all(procs.map((p) => (p.exitCode === null && p.signalCode === null ? new Promise((r) => p.once('exit', r)) : undefined)));
    if (shared) await stopAgentProcesses(join(shared, 'agents'));
    await store?.close();
    await pg?.stop();
    if (hook) await new Promise((r) => hook.server.close(r));
    await temp.cleanup();
  }, 60_000);

  it('runs 30 pushes in bursts with every step once, every run ended, every notification sent once', async () => {
    // Every server's change stream, whichever server runs a step or ends a run.
    const streams = living().map((s) => follow(`${s.url}/api/v1/stream`, token));
    const branches = Array.from({ length: 30 }, (_, i) => `feature-${i + 1}`);
    for (let b = 0; b < 3; b++) await burst(branches.slice(b * 10, b * 10 + 10));
    const done = await until('all 30 runs to end', async () => {
      const mine = (await runs()).filter((r) => r.branch?.startsWith('feature-'));
      return mine.length === 30 && mine.every(ended) ? mine : undefined;
    }, 240_000, 250);
    expect(done.map((r) => r.state), await why(done)).toEqual(Array(30).fill('succeeded'));

    // Every gate ran exactly once per commit: no attempt was repeated, and its stamp is written once.
    const steps = await store.steps.forRuns(done.map((r) => r.id));
    expect(steps.length).toBe(90);
    expect(steps.filter((s) => s.attempt !== 1 || s.state !== 'succeeded').map((s) => `${s.runId}/${s.key} attempt ${s.attempt} ${s.state}`)).toEqual([]);
    for (const log of ['lint.log', 'test.log']) expect((await lines(log)).sort(), log).toEqual([...branches].sort());

    // Each server's stream saw every run end, most of them ended by another server.
    const ids = new Set(done.map((r) => r.id));
    for (const stream of streams) {
      await until(`the stream of ${stream.url} to see all 30 runs end`, () => [...ids].every((id) => stream.ended.has(id)) || undefined, 15_000);
      stream.close();
    }

    // One run.succeeded per run, none twice.
    await until('a notification for every run', () => new Set(hook.deliveries.filter((d) => d.event === 'run.succeeded').map((d) => d.runId)).size >= 30 || undefined, 30_000);
    const deliveryIds = hook.deliveries.map((d) => d.id);
    expect(new Set(deliveryIds).size).toBe(deliveryIds.length);
    const perRun = new Map<number, number>();
    for (const d of hook.deliveries) if (d.runId !== null) perRun.set(d.runId, (perRun.get(d.runId) ?? 0) + 1);
    expect([...perRun.values()].every((n) => n === 1)).toBe(true);
  }, 300_000);

  it('deploys through whichever server is asked, one deployment at a time, to one shared agent', async () => {
    // Two dispatches to each server at once: the environment lock lets one deploy at a time.
    const asked = await Promise.all(living().flatMap((s) => [1, 2].map(() => api<{ run: { id: number } }>(s, 'POST', '/api/v1/dispatch', { environment: 'dev' }))));
    const ids = asked.map((a) => a.run.id);
    const finished = await until('the six deploy runs to end', async () => {
      const all = (await runs()).filter((r) => ids.includes(r.id));
      return all.length === 6 && all.every(ended) ? all : undefined;
    }, 240_000, 250);
    expect(finished.map((r) => r.state), await why(finished)).toEqual(Array(6).fill('succeeded'));
    const history = (await store.deployments.history('dev', 'api', 50)).filter((d) => d.runId !== null && ids.includes(d.runId)).sort((a, b) => a.revision - b.revision);
    expect(history.map((d) => d.state)).toEqual(Array(6).fill('succeeded'));
    // Never two at once: each deployment ended before the next one began.
    for (let i = 1; i < history.length; i++) expect(history[i]?.createdAt).toBeGreaterThanOrEqual(history[i - 1]?.finishedAt ?? Number.POSITIVE_INFINITY);
    // One agent for the target, whichever server started it, serving the last revision.
    const answer = (await (await fetch(`http://127.0.0.1:${port}/`)).json()) as { revision: string };
    expect(Number(answer.revision)).toBe(history.at(-1)?.revision);
    const verdict = await api<{ ok: boolean; rows: number }>(living()[1] as ServerProcess, 'GET', '/api/v1/audit/verify');
    expect(verdict).toMatchObject({ ok: true });
    expect(verdict.rows).toBeGreaterThanOrEqual(6);
  }, 300_000);

  it('starts a killed agent again from one server only, and records the restart once', async () => {
    const recordFile = join(shared, 'agents', 'local', 'agent.json');
    const before = (JSON.parse(await readFile(recordFile, 'utf8')) as { pid: number }).pid;
    process.kill(before, 'SIGKILL');
    const after = await until('a new agent to be started', async () => {
      const pid = (JSON.parse(await readFile(recordFile, 'utf8').catch(() => '{}')) as { pid?: number }).pid;
      return pid && pid !== before ? pid : undefined;
    }, 30_000, 100);
    // Every server has looked since (each shows the new agent healthy): none of them may record it again.
    for (const s of living()) {
      await until(`${s.url} to see the new agent`, async () => {
        const { agents } = await api<{ agents: Array<{ target: string; state: string; pid: number | null }> }>(s, 'GET', '/api/v1/agents');
        return agents.some((a) => a.target === 'local' && a.state === 'healthy' && a.pid === after) || undefined;
      }, 30_000, 200);
    }
    const restarts = (await store.events.list(500)).filter((e) => e.kind === 'agent.restarted' && e.data.previousPid === before);
    expect(restarts).toHaveLength(1);
    const answer = (await (await fetch(`http://127.0.0.1:${port}/`)).json()) as { service: string };
    expect(answer.service).toBe('api');
  }, 90_000);

  it('puts guard rules an admin accepted on one server in force on every server', async () => {
    const guarded = config(port, counters, hook.url).replace('ORIGIN', '.').replace('    branch: develop\n', '    branch: develop\n    confirmation: DEPLOY DEV\n');
    await repo.git('checkout', '--quiet', '-b', 'guard-change', 'develop');
    await writeTree(repo.workDir, { 'gantry.yaml': guarded });
    const sha = await repo.commitAll('dev needs a typed confirmation');
    await repo.git('checkout', '--quiet', 'develop');
    await repo.push('guard-change');
    const [first, ...others] = living() as [ServerProcess, ...ServerProcess[]];
    const accepted = await api<{ accepted: boolean }>(first, 'POST', '/api/v1/config/accept', { sha, reason: 'typed confirmation for dev' });
    expect(accepted.accepted).toBe(true);
    const acceptedAt = Date.now();
    for (const s of others) await until(`${s.url} to have the accepted rules`, async () => (await api<{ pinned: { sha: string | null } }>(s, 'GET', '/api/v1/config')).pinned.sha === sha || undefined, 10_000, 100);
    expect(Date.now() - acceptedAt).toBeLessThan(6_000);
    // Enforced there, not only shown: a dispatch without the phrase is refused by another server.
    const res = await fetch(`${others[0]?.url}/api/v1/dispatch`, { method: 'POST', headers: headers(), body: JSON.stringify({ environment: 'dev' }) });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { code: string }).code).toBe('CONFIRMATION_REQUIRED');
  }, 90_000);

  it('finishes a run on another server when the one running its step is killed, stopping the orphan first', async () => {
    await burst(['slow-1'], { 'api/slow': 'yes\n' });
    await until('the slow gate to start', async () => (await lines('slow.log')).includes('slow-start'), 60_000);
    const orphan = Number((await lines('slow.log')).find((l) => l.startsWith('orphan '))?.slice('orphan '.length));
    expect(orphan).toBeGreaterThan(0);
    const chain = await ancestors(orphan);
    const holder = servers.find((s) => chain.includes(s.child.pid ?? -1));
    expect(holder, 'the server running the slow gate').toBeDefined();
    const killedAt = Date.now();
    holder?.child.kill('SIGKILL');
    await new Promise((r) => holder?.child.once('exit', r));
    const run = await until('the slow run to end on another server', async () => (await runs()).find((r) => r.branch === 'slow-1' && ended(r)), 60_000, 100);
    expect(run.state, await why([run])).toBe('succeeded');
    const effects = await lines('slow.log');
    expect(effects.filter((l) => l === 'slow-start')).toHaveLength(2);
    // The interrupted attempt never finished: it was stopped before the re-run, not raced by it.
    expect(effects.filter((l) => l === 'slow-done')).toHaveLength(1);
    expect(await stillRuns(orphan)).toBe(false);
    const step = (await store.steps.forRun(run.id)).find((s) => s.key === 'gate:api:test');
    expect(step?.attempt).toBe(2);
    // Taken over once the dead server's lease ran out: within the lease and an executor poll or two.
    const tookMs = (step?.startedAt ?? Number.POSITIVE_INFINITY) - killedAt;
    expect(tookMs).toBeLessThan(LEASE_MS + 3_000);
  }, 120_000);

  it('still notices a push within two poll intervals when the polling server is killed', async () => {
    const lease = await until('a server to hold the watcher lease', async () => store.leases.holder('source-watcher', Date.now()), 10_000);
    const pid = Number(lease.owner.split(':')[1]);
    const poller = living().find((s) => s.child.pid === pid);
    expect(poller, `the lease holder ${lease.owner} is one of the living servers`).toBeDefined();
    poller?.child.kill('SIGKILL');
    await new Promise((r) => poller?.child.once('exit', r));
    const pushedAt = Date.now();
    await burst(['after-handover']);
    const run = await until('the push to become a run', async () => (await runs()).find((r) => r.branch === 'after-handover'), 4 * POLL_MS, 50);
    expect(Date.now() - pushedAt).toBeLessThan(2 * POLL_MS);
    const holder = await store.leases.holder('source-watcher', Date.now());
    expect(holder?.owner).not.toBe(lease.owner);
    await until('the run to end', async () => (await runs()).find((r) => r.id === run.id && ended(r)), 60_000);
  }, 60_000);
});
