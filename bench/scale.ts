/**
 * Scaling out: runs per second and per-step overhead with 1, 2 and 3 Gantry servers on one
 * PostgreSQL database, beside 1 server on a SQLite file, in one run.
 * Reproduce with: npm run bench:scale   (PostgreSQL 15 binaries under /usr/lib/postgresql: apt-get install postgresql)
 *
 * Each server is its own process (bench/scale-worker.ts); every step runs a real 50 ms command
 * (bench/scale-workload.ts). Per configuration, on a fresh database: RUNS runs of a 4-step pipeline
 * created at once (throughput), then one run of a CHAIN-step chain alone (overhead per step).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CI_CONCURRENCY } from '../src/config/normalize.js';
import { TERMINAL_RUN_STATES } from '../src/store/repositories/run-repository.js';
import { isPostgresUrl, postgresDialect } from '../src/store/postgres/postgres-dialect.js';
import { sqliteDialect } from '../src/store/sqlite/sqlite-dialect.js';
import { Store } from '../src/store/store.js';
import { startPostgres, type TestPostgres } from '../test/support/postgres.js';
import { until } from '../test/support/temp.js';
import { backendsCpuMs, backendsDelta, machineBusyMs } from './scale-cpu.js';
import { chainFigures, throughputFigures, type ChainFigures, type ThroughputFigures } from './scale-figures.js';
import { BenchServer, stopAll } from './scale-servers.js';
import { chainSteps, createRun, pipelineSteps, WORK_COMMAND } from './scale-workload.js';

const RUNS = Number(process.env.BENCH_SCALE_RUNS ?? 120);
const CHAIN = Number(process.env.BENCH_SCALE_CHAIN ?? 40);
const RUN_DEADLINE_MS = 120_000;

interface Setup {
  readonly label: string;
  readonly postgres: boolean;
  readonly servers: number;
}

const SETUPS: readonly Setup[] = [
  { label: 'SQLite file', postgres: false, servers: 1 },
  { label: 'PostgreSQL', postgres: true, servers: 1 },
  { label: 'PostgreSQL', postgres: true, servers: 2 },
  { label: 'PostgreSQL', postgres: true, servers: 3 },
];

interface Result {
  readonly setup: Setup;
  readonly throughput: ThroughputFigures;
  readonly chain: ChainFigures;
  /** CPU ms during the throughput phase: the servers' processes, the database's backends, the whole machine. */
  readonly cpu: { readonly servers: number; readonly backends: number; readonly machine: number };
}

async function waitForRuns(store: Store, ids: readonly number[]): Promise<void> {
  await until(`${ids.length} runs to end`, async () => {
    const row = await store.db.selectFrom('runs').select((eb) => eb.fn.countAll<number>().as('n')).where('id', 'in', ids).where('state', 'in', TERMINAL_RUN_STATES).executeTakeFirstOrThrow();
    return Number(row.n) === ids.length;
  }, RUN_DEADLINE_MS, 50);
}

async function measure(setup: Setup, pg: TestPostgres, dir: string, n: number): Promise<Result> {
  const database = setup.postgres ? await pg.newDatabase() : join(dir, `scale-${n}.db`);
  // The coordinator migrates the fresh database before any server opens it.
  const store = await Store.open(isPostgresUrl(database) ? postgresDialect(database) : sqliteDialect(database));
  try {
    const servers = await Promise.all(Array.from({ length: setup.servers }, (_, i) => BenchServer.start(database, i)));
    const dbName = database.slice(database.lastIndexOf('/') + 1);
    const cpuOf = async () => ({ servers: (await Promise.all(servers.map((s) => s.stats()))).reduce((sum, s) => sum + s.cpuMs, 0), backends: setup.postgres ? await backendsCpuMs(dbName) : new Map<string, number>(), machine: await machineBusyMs() });
    const before = await cpuOf();
    const startedAt = Date.now();
    const ids: number[] = [];
    // As a server's engine announces each run it creates, every server hears of each one.
    for (let r = 0; r < RUNS; r++) {
      ids.push(await createRun(store, pipelineSteps()));
      for (const s of servers) s.wake();
    }
    await waitForRuns(store, ids);
    const after = await cpuOf();
    const chainId = await createRun(store, chainSteps(CHAIN));
    for (const s of servers) s.wake();
    await waitForRuns(store, [chainId]);
    await Promise.all(servers.map((s) => s.stop()));
    return {
      setup,
      throughput: await throughputFigures(store, ids, startedAt, setup.servers, DEFAULT_CI_CONCURRENCY),
      chain: await chainFigures(store, chainId),
      cpu: { servers: after.servers - before.servers, backends: backendsDelta(before.backends, after.backends), machine: after.machine - before.machine },
    };
  } finally {
    await stopAll();
    await store.close();
  }
}

const ms = (v: number): string => `${v.toFixed(1)} ms`;
const q = (x: { p50: number; p95: number }): string => `${ms(x.p50)} / ${ms(x.p95)}`;

function report(results: readonly Result[]): void {
  const pg1 = results.find((r) => r.setup.postgres && r.setup.servers === 1);
  const pg3 = results.find((r) => r.setup.postgres && r.setup.servers === 3);
  console.log(`\nGantry scale-out benchmark — ${new Date().toISOString().slice(0, 16)}Z, Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  console.log(`command: npm run bench:scale   (${RUNS} runs × 4 steps [lint, test] → build → deploy, then a chain of ${CHAIN} steps; each step \`${WORK_COMMAND}\`; ${DEFAULT_CI_CONCURRENCY} steps at a time per server)\n`);
  console.log('| store × servers | runs/s | vs 1 on PG | wall | step slots doing work | steps per server | command p50 / p95 | in-step overhead under load p50 / p95 | CPU per step: servers + PG backends | machine busy (of wall × cores) |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const r of results) {
    const t = r.throughput;
    const vs = pg1 && r.setup.postgres ? `${(t.runsPerSecond / pg1.throughput.runsPerSecond).toFixed(2)}×` : '-';
    const capacity = t.wallMs * cpus().length;
    const steps = t.perServer.reduce((a, b) => a + b, 0);
    const cpu = `${ms(r.cpu.servers / steps)} + ${r.setup.postgres ? ms(r.cpu.backends / steps) : '-'}`;
    const machine = `${((100 * r.cpu.machine) / capacity).toFixed(0)} %`;
    console.log(`| ${r.setup.label} × ${r.setup.servers} | ${t.runsPerSecond.toFixed(1)} | ${vs} | ${(t.wallMs / 1000).toFixed(2)} s | ${(100 * t.slotsBusy).toFixed(0)} % | ${t.perServer.join(' + ')} | ${q(t.command)} | ${q(t.inStep)} | ${cpu} | ${machine} |`);
  }
  console.log('\n| store × servers | chain: overhead per step p50 / p95 | … ready → claimed | … claimed → finished, minus the command |');
  console.log('| --- | --- | --- | --- |');
  for (const r of results) console.log(`| ${r.setup.label} × ${r.setup.servers} | ${q(r.chain.perStep)} | ${q(r.chain.pickup)} | ${q(r.chain.inStep)} |`);
  if (pg1 && pg3) {
    const ratio = pg3.throughput.runsPerSecond / pg1.throughput.runsPerSecond;
    console.log(`\naim: 3 servers on PostgreSQL ≥ 2× the runs/s of 1 → ${ratio.toFixed(2)}×: ${ratio >= 2 ? 'met' : 'NOT met'}`);
  }
  const pgChains = results.filter((r) => r.setup.postgres);
  const worst = Math.max(...pgChains.map((r) => r.chain.perStep.p50));
  console.log(`aim: per-step overhead on PostgreSQL ≤ 10 ms (chain median, worst of 1–3 servers) → ${ms(worst)}: ${worst <= 10 ? 'met' : 'NOT met'}`);
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'gantry-bench-scale-'));
  let pg: TestPostgres | undefined;
  const cleanup = async (): Promise<void> => {
    await stopAll();
    await pg?.stop();
    await rm(dir, { recursive: true, force: true });
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void cleanup().finally(() => process.exit(130)));
  try {
    pg = await startPostgres();
    const results: Result[] = [];
    for (const [i, setup] of SETUPS.entries()) {
      console.error(`${setup.label} × ${setup.servers} …`);
      results.push(await measure(setup, pg, dir, i));
    }
    report(results);
  } finally {
    await cleanup();
  }
}

await main();
