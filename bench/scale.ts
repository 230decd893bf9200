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
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CI_CONCURRENCY } from '../src/config/normalize.js';
import { TERMINAL_RUN_STATES } from '../src/store/repositories/run-repository.js';
import { isPostgresUrl, postgresDialect } from '../src/store/postgres/postgres-dialect.js';
import { sqliteDialect } from '../src/store/sqlite/sqlite-dialect.js';
import { Store } from '../src/store/store.js';
import { startPostgres, type TestPostgres } from '../test/support/postgres.js';
import { until } from '../test/support/temp.js';
import { backendsCpuMs, backendsDelta, machineBusyMs, processCpuMs } from './scale-cpu.js';
import { chainFigures, throughputFigures } from './scale-figures.js';
import { report, type Result, type Setup } from './scale-report.js';
import { BenchServer, stopAll } from './scale-servers.js';
import { chainSteps, createRun, pipelineSteps } from './scale-workload.js';

const RUNS = Number(process.env.BENCH_SCALE_RUNS ?? 100);
const CHAIN = Number(process.env.BENCH_SCALE_CHAIN ?? 30);
const RUN_DEADLINE_MS = 120_000;
const STEPS_PER_RUN = pipelineSteps().length;

const SETUPS: readonly Setup[] = [
  { label: 'SQLite file', postgres: false, servers: 1 },
  { label: 'PostgreSQL', postgres: true, servers: 1 },
  { label: 'PostgreSQL', postgres: true, servers: 2 },
  { label: 'PostgreSQL', postgres: true, servers: 3 },
];

interface Counters {
  readonly servers: number;
  readonly commands: number;
  readonly executed: number;
  readonly ticks: number;
  readonly lostClaims: number;
  readonly rssMb: number;
  readonly backends: ReadonlyMap<string, number>;
  readonly machine: number;
}

async function counters(servers: readonly BenchServer[], database: string | undefined): Promise<Counters> {
  const stats = await Promise.all(servers.map((s) => s.stats()));
  const cpu = await Promise.all(servers.map((s) => processCpuMs(s.pid)));
  return {
    servers: cpu.reduce((sum, c) => sum + c.own, 0),
    commands: cpu.reduce((sum, c) => sum + c.children, 0),
    executed: stats.reduce((sum, s) => sum + s.executed, 0),
    ticks: stats.reduce((sum, s) => sum + s.ticks, 0),
    lostClaims: stats.reduce((sum, s) => sum + s.lostClaims, 0),
    rssMb: Math.max(...stats.map((s) => s.rssMb)),
    backends: database ? await backendsCpuMs(database) : new Map<string, number>(),
    machine: await machineBusyMs(),
  };
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
    const read = () => counters(servers, setup.postgres ? dbName : undefined);
    const before = await read();
    const startedAt = Date.now();
    const ids: number[] = [];
    // As a server's engine announces each run it creates, every server hears of each one.
    for (let r = 0; r < RUNS; r++) {
      ids.push(await createRun(store, pipelineSteps()));
      for (const s of servers) s.wake();
    }
    await waitForRuns(store, ids);
    const after = await read();
    // Each command the servers ran, counted where it ran: a step run twice would show here.
    if (after.executed - before.executed !== RUNS * STEPS_PER_RUN) throw new Error(`the servers ran ${after.executed - before.executed} commands for ${RUNS * STEPS_PER_RUN} steps`);
    const chainId = await createRun(store, chainSteps(CHAIN));
    for (const s of servers) s.wake();
    await waitForRuns(store, [chainId]);
    await Promise.all(servers.map((s) => s.stop()));
    return {
      setup,
      throughput: await throughputFigures(store, ids, startedAt, setup.servers, DEFAULT_CI_CONCURRENCY),
      chain: await chainFigures(store, chainId),
      cpu: { servers: after.servers - before.servers, commands: after.commands - before.commands, backends: backendsDelta(before.backends, after.backends), machine: after.machine - before.machine },
      ticks: after.ticks - before.ticks,
      lostClaims: after.lostClaims - before.lostClaims,
      rssMb: after.rssMb,
    };
  } finally {
    await stopAll();
    await store.close();
  }
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
    report(results, { runs: RUNS, stepsPerRun: STEPS_PER_RUN, chain: CHAIN });
  } catch (error: unknown) {
    // A cluster that went away mid-run says why in its own log (a shutdown request, a removed data folder …).
    if (pg) console.error(`PostgreSQL's log, last lines:\n${pg.log().split('\n').slice(-15).join('\n')}`);
    throw error;
  } finally {
    await cleanup();
  }
}

await main();
