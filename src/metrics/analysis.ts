import type { AnalysisMetricConfig } from '../domain/rollout-config.js';
import { ConfigError } from '../errors/gantry-error.js';
import { AnalysisPhase } from './analysis-result.js';
import type { AnalysisResult, MeasurementRecord, MetricResult } from './analysis-result.js';
import { CONDITION_GRAMMAR_HINT, parseCondition } from './condition.js';
import { measureOnce } from './measure-once.js';
import type { AnalysisContext, PreparedMetric } from './measure-once.js';
import { judgeMetric, tally } from './metric-verdict.js';
import type { Verdict } from './metric-verdict.js';
import type { MetricProviders } from './provider.js';

export type { AnalysisContext } from './measure-once.js';

/** Waits, or rejects when the signal aborts. Injected so that tests need no real time. */
export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

export interface AnalysisOptions {
  readonly metrics: readonly AnalysisMetricConfig[];
  readonly providers: MetricProviders;
  readonly context: AnalysisContext;
  readonly clock: { now(): number };
  readonly sleep: Sleep;
  /** Aborting it rejects runAnalysis with the signal's reason; it does not produce a result. */
  readonly signal: AbortSignal;
  /** Called with each measurement as it is taken, e.g. to log it live. */
  readonly onMeasurement?: (record: MeasurementRecord) => void;
}

interface MetricState {
  readonly metric: PreparedMetric;
  readonly records: MeasurementRecord[];
  verdict: Verdict | undefined;
}

/** Parses every condition and finds every provider before measuring anything. */
function prepare(metrics: readonly AnalysisMetricConfig[], providers: MetricProviders): PreparedMetric[] {
  return metrics.map((spec) => {
    const parsed = parseCondition(spec.successCondition);
    if (!parsed.ok) {
      throw new ConfigError('CONFIG_INVALID_CONDITION', `metric ${spec.name}: successCondition "${spec.successCondition}" at column ${parsed.column}: ${parsed.message}`, { hint: CONDITION_GRAMMAR_HINT });
    }
    const provider = providers[spec.provider];
    if (!provider) {
      const hint = spec.provider === 'prometheus' ? 'Add `prometheus: { url: … }` at the top of gantry.yaml.' : `Pass a ${spec.provider} provider to runAnalysis.`;
      throw new ConfigError('CONFIG_PROMETHEUS_MISSING', `metric ${spec.name} uses the ${spec.provider} provider, which is not configured`, { hint });
    }
    return { spec, condition: parsed.condition, provider };
  });
}

function summarize(states: readonly MetricState[], all: readonly MeasurementRecord[], startedAt: number, finishedAt: number): AnalysisResult {
  const metrics: MetricResult[] = states.map((s) => ({
    name: s.metric.spec.name,
    // Every state has a verdict once the loop ends; the fallback only keeps the types honest.
    phase: s.verdict?.phase ?? AnalysisPhase.Inconclusive,
    reason: s.verdict?.reason ?? 'not measured',
    tally: tally(s.records),
    measurements: s.records,
  }));
  const base = { metrics, measurements: all, startedAt, finishedAt };
  const failed = metrics.find((m) => m.phase === AnalysisPhase.Failed);
  if (failed) return { ...base, phase: AnalysisPhase.Failed, metric: failed.name, reason: `metric ${failed.name} failed: ${failed.reason}` };
  const unproven = metrics.filter((m) => m.phase !== AnalysisPhase.Successful);
  if (metrics.length === 0) return { ...base, phase: AnalysisPhase.Inconclusive, metric: undefined, reason: 'the analysis has no metrics, so it proves nothing' };
  if (unproven.length > 0) {
    return { ...base, phase: AnalysisPhase.Inconclusive, metric: unproven[0]?.name, reason: unproven.map((m) => `metric ${m.name} is inconclusive: ${m.reason}`).join('; ') };
  }
  return { ...base, phase: AnalysisPhase.Successful, metric: undefined, reason: metrics.map((m) => `${m.name}: ${m.reason}`).join('; ') };
}

/** Where an analysis stands between passes: stored by the watch step so a restarted control plane carries on. */
export interface AnalysisProgress {
  /** When the analysis began (epoch ms). */
  readonly startedAt: number;
  /** Every measurement taken so far, in order. */
  readonly records: readonly MeasurementRecord[];
}

export interface AnalysisPassOptions extends Omit<AnalysisOptions, 'sleep'> {
  /** Null on the first pass: the providers' `begin` runs then. */
  readonly progress: AnalysisProgress | null;
  /**
   * Time under analysis so far: measurement n of a metric is due once it reaches n × interval. The
   * caller counts it (a control plane that was down does not count its outage as analysed time).
   */
  readonly elapsedMs: number;
  /** The wall-clock time `elapsedMs` stands for; windows are placed so the latest ends there. */
  readonly at: number;
}

export interface AnalysisPass {
  readonly progress: AnalysisProgress;
  /** Set once every metric has its verdict. */
  readonly result?: AnalysisResult;
  /** The elapsed time at which the next measurement is due (when there is no result yet). */
  readonly nextDueMs?: number;
}

/** A failed metric ends the analysis: the metrics still undecided are `stopped`. */
function stopOthers(states: readonly MetricState[]): void {
  const failed = states.find((s) => s.verdict?.phase === AnalysisPhase.Failed);
  if (!failed) return;
  for (const s of states.filter((x) => x.verdict === undefined)) {
    s.verdict = { phase: AnalysisPhase.Stopped, reason: `stopped after ${s.records.length} of ${s.metric.spec.count} measurements: metric ${failed.metric.spec.name} failed` };
  }
}

/**
 * One pass of an analysis: takes the measurements due by `elapsedMs` (the n-th of a metric over the
 * interval that just ended), judges them, and says when the next is due. Each metric's verdict is
 * judged again from the stored measurements, so a pass after a restart decides exactly as the
 * pass before it would have.
 */
export async function analysisPass(options: AnalysisPassOptions): Promise<AnalysisPass> {
  const { context, clock, signal } = options;
  const prepared = prepare(options.metrics, options.providers);
  if (options.progress === null) for (const provider of new Set(prepared.map((m) => m.provider))) await provider.begin?.(signal);
  const progress = options.progress ?? { startedAt: options.at, records: [] };
  const states: MetricState[] = prepared.map((metric) => {
    const records = progress.records.filter((r) => r.metric === metric.spec.name);
    return { metric, records, verdict: records.length > 0 ? judgeMetric(records, metric.spec) : undefined };
  });
  stopOthers(states);
  const dueAt = (s: MetricState): number => (s.records.length + 1) * s.metric.spec.intervalMs;
  // Windows end at `at` for the time elapsed: after an outage they move on with it instead of covering time nobody watched.
  const offset = options.at - options.elapsedMs;
  const batch = states.filter((s) => s.verdict === undefined && dueAt(s) <= options.elapsedMs);
  const records = await Promise.all(
    batch.map((s) => {
      const index = s.records.length + 1;
      const window = { start: offset + (index - 1) * s.metric.spec.intervalMs, end: offset + index * s.metric.spec.intervalMs };
      return measureOnce({ metric: s.metric, context, index, window, signal, now: () => clock.now() });
    }),
  );
  const all = [...progress.records];
  batch.forEach((s, i) => {
    const record = records[i] as MeasurementRecord;
    s.records.push(record);
    all.push(record);
    options.onMeasurement?.(record);
    s.verdict = judgeMetric(s.records, s.metric.spec);
  });
  stopOthers(states);
  const next = { startedAt: progress.startedAt, records: all };
  const active = states.filter((s) => s.verdict === undefined);
  if (active.length === 0) return { progress: next, result: summarize(states, all, progress.startedAt, clock.now()) };
  return { progress: next, nextDueMs: Math.min(...active.map(dueAt)) };
}

/**
 * Runs an analysis in process: each metric is measured `count` times, the n-th measurement at
 * start + n × interval over the interval that just ended (so a watch of count × interval measures
 * all of it, and the first measurement has traffic to see). Metrics run side by side on their own
 * intervals; the first one to fail ends the analysis at once (the others are `stopped`), so a bad
 * release is rolled back without waiting out the window. All I/O goes through the providers; the
 * watch step runs the same passes with its waits in the executor (analysisPass).
 */
export async function runAnalysis(options: AnalysisOptions): Promise<AnalysisResult> {
  const { clock, signal } = options;
  let progress: AnalysisProgress | null = null;
  let elapsedMs = 0;
  const startedAt = clock.now();
  for (;;) {
    signal.throwIfAborted();
    const pass: AnalysisPass = await analysisPass({ ...options, progress, elapsedMs, at: startedAt + elapsedMs });
    if (pass.result) return pass.result;
    progress = pass.progress;
    const due = pass.nextDueMs ?? elapsedMs;
    const wait = startedAt + due - clock.now();
    if (wait > 0) await options.sleep(wait, signal);
    // Everything due by `due` is measured now, even if the sleep ended a millisecond early.
    elapsedMs = Math.max(due, clock.now() - startedAt);
  }
}
