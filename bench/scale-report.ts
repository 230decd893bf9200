/** bench/scale.ts's tables: what was measured, side by side, and the aims of issue 14. */
import { cpus, loadavg } from 'node:os';
import { DEFAULT_CI_CONCURRENCY } from '../src/config/normalize.js';
import type { ChainFigures, ThroughputFigures } from './scale-figures.js';
import { WORK_COMMAND } from './scale-workload.js';

export interface Setup {
  readonly label: string;
  readonly postgres: boolean;
  readonly servers: number;
}

export interface Result {
  readonly setup: Setup;
  readonly throughput: ThroughputFigures;
  readonly chain: ChainFigures;
  /** CPU ms during the throughput phase: the server processes, their step commands, the database's backends, the whole machine. */
  readonly cpu: { readonly servers: number; readonly commands: number; readonly backends: number; readonly machine: number };
  /** The servers' passes over the store during the throughput phase, all servers together. */
  readonly ticks: number;
  /** Claims that found the step already taken by another server (or locked: SKIP LOCKED), throughput phase. */
  readonly lostClaims: number;
  /** The largest server's resident memory at the end of the throughput phase: what each spawn() forks. */
  readonly rssMb: number;
}

export interface Size {
  readonly runs: number;
  readonly stepsPerRun: number;
  readonly chain: number;
}

const ms = (v: number): string => `${v.toFixed(1)} ms`;
const q = (x: { p50: number; p95: number }): string => `${ms(x.p50)} / ${ms(x.p95)}`;

/** Prints the figures as Markdown tables, and whether the aims were met. */
export function report(results: readonly Result[], size: Size): void {
  const steps = size.runs * size.stepsPerRun;
  const pg1 = results.find((r) => r.setup.postgres && r.setup.servers === 1);
  const pg3 = results.find((r) => r.setup.postgres && r.setup.servers === 3);
  const name = (r: Result): string => `${r.setup.label} × ${r.setup.servers}`;
  const perStep = (cpuMs: number): string => ms(cpuMs / steps);
  console.log(`\nGantry scale-out benchmark — ${new Date().toISOString().slice(0, 16)}Z, Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  console.log(`command: npm run bench:scale   (${size.runs} runs × ${size.stepsPerRun} steps [lint, test] → build → deploy, then a chain of ${size.chain} steps; each step \`${WORK_COMMAND}\`; ${DEFAULT_CI_CONCURRENCY} steps at a time per server)\n`);
  console.log('| store × servers | runs/s | vs 1 on PG | wall | step slots doing work | steps per server | command p50 / p95 | in-step overhead under load p50 / p95 |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const r of results) {
    const t = r.throughput;
    const vs = pg1 && r.setup.postgres ? `${(t.runsPerSecond / pg1.throughput.runsPerSecond).toFixed(2)}×` : '-';
    console.log(`| ${name(r)} | ${t.runsPerSecond.toFixed(1)} | ${vs} | ${(t.wallMs / 1000).toFixed(2)} s | ${(100 * t.slotsBusy).toFixed(0)} % | ${t.perServer.join(' + ')} | ${q(t.command)} | ${q(t.inStep)} |`);
  }
  console.log('\n| store × servers | CPU per step: server | its command (sh, sleep) | PG backends | spawn() p50 / p95 | server RSS | passes over the store per step | claims lost to another server | machine busy | of it, this bench | CPU ceiling, runs/s |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const r of results) {
    const ours = r.cpu.servers + r.cpu.commands + r.cpu.backends;
    const busy = `${((100 * r.cpu.machine) / (r.throughput.wallMs * cpus().length)).toFixed(0)} %`;
    // Were the two cores all this bench's: the cores, and each server's one event loop, bound the steps per second.
    const ceiling = Math.min((cpus().length * 1000 * steps) / ours, (r.setup.servers * 1000 * steps) / r.cpu.servers) / size.stepsPerRun;
    console.log(`| ${name(r)} | ${perStep(r.cpu.servers)} | ${perStep(r.cpu.commands)} | ${r.setup.postgres ? perStep(r.cpu.backends) : '-'} | ${q(r.throughput.spawn)} | ${r.rssMb.toFixed(0)} MB | ${(r.ticks / steps).toFixed(2)} | ${r.lostClaims} | ${busy} | ${((100 * ours) / r.cpu.machine).toFixed(0)} % | ${ceiling.toFixed(1)} |`);
  }
  console.log('\n| store × servers | chain: overhead per step p50 / p95 | … ready → claimed | … claimed → finished, minus the command |');
  console.log('| --- | --- | --- | --- |');
  for (const r of results) console.log(`| ${name(r)} | ${q(r.chain.perStep)} | ${q(r.chain.pickup)} | ${q(r.chain.inStep)} |`);
  if (pg1 && pg3) {
    const ratio = pg3.throughput.runsPerSecond / pg1.throughput.runsPerSecond;
    console.log(`\naim: 3 servers on PostgreSQL ≥ 2× the runs/s of 1 → ${ratio.toFixed(2)}×: ${ratio >= 2 ? 'met' : 'NOT met'}`);
  }
  const worst = Math.max(...results.filter((r) => r.setup.postgres).map((r) => r.chain.perStep.p50));
  console.log(`aim: per-step overhead on PostgreSQL ≤ 10 ms (chain median, worst of 1–3 servers) → ${ms(worst)}: ${worst <= 10 ? 'met' : 'NOT met'}`);
}

