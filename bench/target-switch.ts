/**
 * The switch part of bench/images.ts: main traffic of one small HTTP service moved SWITCHES times
 * between its revisions 1 and 2 under steady load, driven through the target contract over HTTP the
 * way the control plane does (LocalTarget → a `gantry agent`'s API): setWeights with 100/0, then
 * verifyWeights until it says applied. Then this process (beside the load) sends requests one after
 * another until CONSECUTIVE in a row were answered by the new revision. Per switch it records: when
 * verifyWeights said applied; "100 % on the new revision", the sending of the first request of that
 * run (from then on every answer came from the new revision); and "confirmed", its last answer (this
 * one adds CONSECUTIVE round trips through the loaded router). All from the setWeights call. Answers
 * from the old revision after verifyWeights said applied are counted: they should be 0. Failed
 * requests are what the load generator saw (non-2xx + socket errors), plus failed probes of ours.
 * Knobs: BENCH_SWITCH_DURATION (default 12s), BENCH_SWITCHES (20), BENCH_CONNECTIONS (50),
 * BENCH_SWITCH_CONSECUTIVE (20).
 */
import { loadavg } from 'node:os';
import type { RevisionSpec, Target } from '../src/targets/target.js';
import { until } from '../test/support/temp.js';
import { load, type LoadResult } from './router.js';

const DURATION_S = Number((process.env.BENCH_SWITCH_DURATION ?? '12s').replace(/s$/, ''));
export const SWITCHES = Number(process.env.BENCH_SWITCHES ?? 20);
const CONSECUTIVE = Number(process.env.BENCH_SWITCH_CONSECUTIVE ?? 20);

export interface SwitchSubject {
  readonly name: string;
  readonly target: Target;
  readonly environment: string;
  readonly service: string;
  /** Revision 1 or 2 of the service as this target runs it (its artifact reference differs by kind). */
  spec(revision: 1 | 2): RevisionSpec;
}

export interface SwitchFigures {
  readonly name: string;
  readonly load: LoadResult;
  /** Our own probe requests (the consecutive ones after each switch) and how many of them failed. */
  readonly probes: number;
  readonly probeFailures: number;
  /** Per switch, ms from setWeights to: verifyWeights applied, 100 % on the new revision, confirmed. */
  readonly appliedMs: readonly number[];
  readonly toNewMs: readonly number[];
  readonly confirmedMs: readonly number[];
  /** Probe answers from the old revision after verifyWeights said applied (all switches). */
  readonly staleAfterApplied: number;
  /** The machine's 1-minute load average when the subject started: it is shared. */
  readonly loadAverage: number;
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts revisions 1 and 2, waits until both are ready and revision 1 has all of main. */
async function prepare(s: SwitchSubject): Promise<string> {
  for (const revision of [1, 2] as const) await s.target.startRevision(s.spec(revision));
  for (const revision of [1, 2]) {
    await until(
      `${s.name}: revision ${revision} to be ready`,
      async () => (await s.target.describe(s.environment)).find((x) => x.service === s.service)?.revisions.find((r) => r.revision === revision)?.phase === 'ready',
      120_000,
      100,
    );
  }
  await switchTo(s, 1);
  return s.target.url(s.environment, s.service, 'main');
}

async function switchTo(s: SwitchSubject, revision: 1 | 2): Promise<void> {
  const weights = { [String(revision)]: 100 };
  await s.target.setWeights(s.environment, s.service, 'main', weights);
  await until(`${s.name}: weights ${JSON.stringify(weights)} applied`, async () => (await s.target.verifyWeights(s.environment, s.service, 'main', weights)).applied, 10_000, 5);
}

interface Counts {
  probes: number;
  failures: number;
  stale: number;
}

/**
 * Sends requests one after another until CONSECUTIVE in a row come from `revision`; returns when the
 * first of that run was sent (performance.now()). Counts failures and answers from another revision.
 */
async function untilServedBy(url: string, revision: number, counts: Counts): Promise<number> {
  const deadline = Date.now() + 10_000;
  let inARow = 0;
  let runStarted = NaN;
  while (inARow < CONSECUTIVE) {
    if (Date.now() > deadline) throw new Error(`${url} did not answer from revision ${revision} ${CONSECUTIVE} times in a row within 10 s`);
    counts.probes++;
    const sent = performance.now();
    try {
      const res = await fetch(url);
      const body = await res.text();
      const fromNew = res.ok && (JSON.parse(body) as { revision?: string }).revision === String(revision);
      if (!res.ok) counts.failures++;
      else if (!fromNew) counts.stale++;
      if (fromNew && inARow === 0) runStarted = sent;
      inARow = fromNew ? inARow + 1 : 0;
    } catch {
      counts.failures++;
      inARow = 0;
    }
  }
  return runStarted;
}

/** The measurement for one target: warm-up, then the load with SWITCHES switches spread over its middle. */
export async function measureSwitches(s: SwitchSubject): Promise<SwitchFigures> {
  const loadAverage = loadavg()[0] ?? NaN;
  const url = `${await prepare(s)}/`;
  await load(url, '2s');
  const counts: Counts = { probes: 0, failures: 0, stale: 0 };
  const running = load(url, `${DURATION_S}s`);
  // One second of steady load, the switches spread over the middle, at least a second after.
  const gapMs = ((DURATION_S - 2) * 1000) / SWITCHES;
  await pause(1000);
  const appliedMs: number[] = [];
  const toNewMs: number[] = [];
  const confirmedMs: number[] = [];
  for (let i = 1; i <= SWITCHES; i++) {
    const to = i % 2 === 1 ? 2 : 1;
    const started = performance.now();
    await switchTo(s, to);
    appliedMs.push(performance.now() - started);
    toNewMs.push((await untilServedBy(url, to, counts)) - started);
    const took = performance.now() - started;
    confirmedMs.push(took);
    await pause(Math.max(0, gapMs - took));
  }
  const result = await running;
  return { name: s.name, load: result, probes: counts.probes, probeFailures: counts.failures, appliedMs, toNewMs, confirmedMs, staleAfterApplied: counts.stale, loadAverage };
}

const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

const spread = (values: readonly number[]): string => `${median(values).toFixed(1)} / ${Math.max(...values).toFixed(1)} ms`;

/** The side-by-side table, one column per target. */
export function switchTable(rows: readonly SwitchFigures[]): string {
  const line = (label: string, cell: (r: SwitchFigures) => string): string => `| ${label} | ${rows.map(cell).join(' | ')} |`;
  return [
    line('', (r) => r.name),
    `| --- |${rows.map(() => ' --- |').join('')}`,
    line('requests (load)', (r) => String(r.load.requests)),
    line('failed: non-2xx + socket errors', (r) => `${r.load.non2xx + r.load.socketErrors} (${r.load.non2xx} + ${r.load.socketErrors})`),
    line('failed probe requests', (r) => `${r.probeFailures} of ${r.probes}`),
    line('p99 / p50 latency', (r) => `${r.load.p99Ms.toFixed(1)} / ${r.load.p50Ms.toFixed(1)} ms`),
    line('setWeights → verifyWeights applied, median / max', (r) => spread(r.appliedMs)),
    line('time to 100 % on the new revision, median / max', (r) => spread(r.toNewMs)),
    line(`… confirmed by ${CONSECUTIVE} answers in a row, median / max`, (r) => spread(r.confirmedMs)),
    line('old-revision answers after applied', (r) => String(r.staleAfterApplied)),
    line('1-min load average at start', (r) => r.loadAverage.toFixed(2)),
  ].join('\n');
}

export const SWITCH_LOAD = `${DURATION_S}s per target, ${SWITCHES} switches 1↔2 (setWeights 100/0), ${CONSECUTIVE} consecutive answers from the new revision`;
