/**
 * Engine overhead: what the durable executor costs per step, with no work in the steps.
 * Reproduce with: npm run bench
 * It compares the store on a SQLite file (WAL, the default) with SQLite in memory (no disk),
 * and both with calling the same no-op handler directly in a loop (no engine at all).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { systemClock } from '../src/kernel/clock.js';
import { EngineBus } from '../src/engine/events.js';
import { Executor } from '../src/engine/executor.js';
import type { StepHandler } from '../src/engine/step-handler.js';
import type { PlannedStep } from '../src/domain/run.js';
import { Redactor } from '../src/secrets/redactor.js';
import { sqliteDialect } from '../src/store/sqlite/sqlite-dialect.js';
import { Store } from '../src/store/store.js';

const CHAIN_STEPS = Number(process.env.BENCH_CHAIN_STEPS ?? 400);
const RUNS = Number(process.env.BENCH_RUNS ?? 150);
const STEPS_PER_RUN = 5;

const noop: StepHandler = { kind: 'noop', run: async () => ({ kind: 'done' }) };

async function withExecutor<T>(file: string, work: (store: Store, executor: Executor) => Promise<T>): Promise<T> {
  const store = await Store.open(sqliteDialect(file));
  const executor = new Executor({
    store,
    handlers: new Map([['noop', noop]]),
    bus: new EngineBus(),
    clock: systemClock,
    logger: pino({ level: 'silent' }),
    redactor: () => new Redactor([]),
    concurrency: 4,
    leaseMs: 15_000,
    pollMs: 250,
  });
  executor.start();
  try {
    return await work(store, executor);
  } finally {
    await executor.stop();
    await store.close();
  }
}

const newRun = (store: Store, steps: PlannedStep[]) =>
  store.runs.create(
    { trigger: 'dispatch', branch: null, ref: 'bench', sha: '0'.repeat(40), baseSha: null, environment: null, author: null, triggeredBy: 'bench', commitMessage: null, configJson: null },
    { steps, notes: [] },
    Date.now(),
  );

const step = (key: string, needs: string[]): PlannedStep => ({ key, kind: 'noop', name: key, needs, spec: {}, maxAttempts: 1 });

/** One run whose steps form a chain: each waits for the one before, so the time per step is pure overhead. */
async function chain(file: string): Promise<number> {
  return withExecutor(file, async (store, executor) => {
    const steps = Array.from({ length: CHAIN_STEPS }, (_, i) => step(`s${i}`, i === 0 ? [] : [`s${i - 1}`]));
    const start = performance.now();
    const run = await newRun(store, steps);
    executor.wake();
    const done = await executor.waitForRun(run.id, 600_000);
    if (done.state !== 'succeeded') throw new Error(`chain run ${done.state}`);
    return (performance.now() - start) / CHAIN_STEPS;
  });
}

/** Many small runs (five independent steps each) created at once: throughput of whole runs. */
async function throughput(file: string): Promise<number> {
  return withExecutor(file, async (store, executor) => {
    const start = performance.now();
    const ids: number[] = [];
    for (let r = 0; r < RUNS; r++) ids.push((await newRun(store, Array.from({ length: STEPS_PER_RUN }, (_, i) => step(`s${i}`, [])))).id);
    executor.wake();
    for (const id of ids) await executor.waitForRun(id, 600_000);
    return RUNS / ((performance.now() - start) / 1000);
  });
}

async function direct(): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < CHAIN_STEPS; i++) await noop.run({} as never);
  return (performance.now() - start) / CHAIN_STEPS;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'gantry-bench-'));
  try {
    const rows: Array<[string, string, string]> = [];
    const fileChain = await chain(join(dir, 'chain.db'));
    const memChain = await chain(':memory:');
    const fileRuns = await throughput(join(dir, 'runs.db'));
    const memRuns = await throughput(':memory:');
    const directStep = await direct();
    rows.push(['SQLite file (WAL, default)', `${fileChain.toFixed(2)} ms`, `${fileRuns.toFixed(1)} runs/s`]);
    rows.push(['SQLite in memory', `${memChain.toFixed(2)} ms`, `${memRuns.toFixed(1)} runs/s`]);
    rows.push(['direct call, no engine', `${directStep.toFixed(4)} ms`, '-']);
    console.log(`Gantry engine benchmark — ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`);
    console.log(`command: npm run bench   (chain of ${CHAIN_STEPS} no-op steps; ${RUNS} runs × ${STEPS_PER_RUN} parallel no-op steps, concurrency 4)\n`);
    console.log(`| store | overhead per step (chain) | runs per second |`);
    console.log(`| --- | --- | --- |`);
    for (const r of rows) console.log(`| ${r.join(' | ')} |`);
    const aim = 5;
    console.log(`\naim: ≤ ${aim} ms per step → ${fileChain <= aim ? 'met' : 'NOT met'} on the default store`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
