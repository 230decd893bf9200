/**
 * Reads bench/scale.ts's figures back from the store: the times the servers themselves recorded
 * (runs.created_at / finished_at, steps.started_at / finished_at, each in ms) and the command time
 * each step measured around its process (summary.commandMs), so nothing here depends on when the
 * coordinator happened to look.
 */
import type { Step } from '../src/domain/run.js';
import type { Store } from '../src/store/store.js';

export interface Quantiles {
  readonly p50: number;
  readonly p95: number;
}

export interface ThroughputFigures {
  readonly wallMs: number;
  readonly runsPerSecond: number;
  /** finished − started − command: what a step costs its server beyond the work, while all slots are busy. */
  readonly inStep: Quantiles;
  /** Σ command time / (wall × slots): how much of the servers' capacity did the work. */
  readonly slotsBusy: number;
  /** The work as each step timed it: spawn, `sleep 0.05`, exit seen. Above 50 ms when the machine is short of CPU. */
  readonly command: Quantiles;
  /** The spawn() call alone, during which the server's event loop is stopped. */
  readonly spawn: Quantiles;
  /** Steps run by each server (from the step's summary). */
  readonly perServer: readonly number[];
}

export interface ChainFigures {
  /** finished(i) − finished(i−1) − command(i); for the first step, from the run's creation. */
  readonly perStep: Quantiles;
  /** started(i) − finished(i−1): from "ready" to claimed, on whichever server. */
  readonly pickup: Quantiles;
  /** finished(i) − started(i) − command(i). */
  readonly inStep: Quantiles;
}

export function quantiles(values: readonly number[]): Quantiles {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN;
  return { p50: at(0.5), p95: at(0.95) };
}

interface Timed {
  readonly step: Step;
  readonly started: number;
  readonly finished: number;
  readonly commandMs: number;
  readonly spawnMs: number;
  readonly server: number;
}

/** Every step ran once and succeeded, with the times it recorded; anything else makes the figures meaningless. */
async function timedSteps(store: Store, runIds: readonly number[]): Promise<Timed[]> {
  const runs = await store.db.selectFrom('runs').select(['id', 'state']).where('id', 'in', runIds).execute();
  const bad = runs.filter((r) => r.state !== 'succeeded');
  if (runs.length !== runIds.length || bad.length > 0) throw new Error(`${bad.length} of ${runIds.length} runs did not succeed: ${bad.slice(0, 5).map((r) => `#${r.id} ${r.state}`).join(', ')}`);
  return (await store.steps.forRuns(runIds)).map((step) => {
    const commandMs = step.summary?.commandMs;
    const server = step.summary?.server;
    const spawnMs = step.summary?.spawnMs;
    if (step.attempt !== 1 || step.startedAt === null || step.finishedAt === null || typeof commandMs !== 'number' || typeof spawnMs !== 'number' || typeof server !== 'number') {
      throw new Error(`step ${step.key} of run #${step.runId} ran ${step.attempt} times or left no times (state ${step.state})`);
    }
    return { step, started: step.startedAt, finished: step.finishedAt, commandMs, spawnMs, server };
  });
}

export async function throughputFigures(store: Store, runIds: readonly number[], startedAt: number, servers: number, slotsPerServer: number): Promise<ThroughputFigures> {
  const steps = await timedSteps(store, runIds);
  const ended = await store.db.selectFrom('runs').select((eb) => eb.fn.max('finished_at').as('last')).where('id', 'in', runIds).executeTakeFirstOrThrow();
  const wallMs = Number(ended.last) - startedAt;
  const work = steps.reduce((sum, s) => sum + s.commandMs, 0);
  const perServer = Array.from({ length: servers }, (_, i) => steps.filter((s) => s.server === i).length);
  return {
    wallMs,
    runsPerSecond: runIds.length / (wallMs / 1000),
    inStep: quantiles(steps.map((s) => s.finished - s.started - s.commandMs)),
    slotsBusy: work / (wallMs * servers * slotsPerServer),
    command: quantiles(steps.map((s) => s.commandMs)),
    spawn: quantiles(steps.map((s) => s.spawnMs)),
    perServer,
  };
}

export async function chainFigures(store: Store, runId: number): Promise<ChainFigures> {
  const steps = (await timedSteps(store, [runId])).sort((a, b) => a.step.position - b.step.position);
  const run = await store.db.selectFrom('runs').select('created_at').where('id', '=', runId).executeTakeFirstOrThrow();
  const ready = steps.map((_, i) => (i === 0 ? run.created_at : (steps[i - 1]?.finished ?? Number.NaN)));
  return {
    perStep: quantiles(steps.map((s, i) => s.finished - (ready[i] ?? Number.NaN) - s.commandMs)),
    pickup: quantiles(steps.map((s, i) => s.started - (ready[i] ?? Number.NaN))),
    inStep: quantiles(steps.map((s) => s.finished - s.started - s.commandMs)),
  };
}
