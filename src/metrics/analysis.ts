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

/**
 * Runs an analysis: each metric is measured `count` times, the n-th measurement at
 * start + n × interval over the interval that just ended (so a watch of count × interval measures
 * all of it, and the first measurement has traffic to see). Metrics run side by side on their own
 * intervals; the first one to fail ends the analysis at once (the others are `stopped`), so a bad
 * release is rolled back without waiting out the window. All I/O goes through the providers.
 */
export async function runAnalysis(options: AnalysisOptions): Promise<AnalysisResult> {
  const { context, clock, signal } = options;
  const states: MetricState[] = prepare(options.metrics, options.providers).map((metric) => ({ metric, records: [], verdict: undefined }));
  const startedAt = clock.now();
  for (const provider of new Set(states.map((s) => s.metric.provider))) await provider.begin?.(signal);
  const dueAt = (s: MetricState): number => startedAt + (s.records.length + 1) * s.metric.spec.intervalMs;
  const all: MeasurementRecord[] = [];
  for (;;) {
    signal.throwIfAborted();
    const active = states.filter((s) => s.verdict === undefined);
    if (active.length === 0) break;
    const due = Math.min(...active.map(dueAt));
    const wait = due - clock.now();
    if (wait > 0) await options.sleep(wait, signal);
    // Everything due by `due` is measured now, even if the sleep ended a millisecond early.
    const batch = active.filter((s) => dueAt(s) <= due);
    const records = await Promise.all(
      batch.map((s) => {
        const index = s.records.length + 1;
        const window = { start: startedAt + (index - 1) * s.metric.spec.intervalMs, end: dueAt(s) };
        return measureOnce({ metric: s.metric, context, index, window, signal, now: () => clock.now() });
      }),
    );
    batch.forEach((s, i) => {
      const record = records[i] as MeasurementRecord;
      s.records.push(record);
      all.push(record);
      options.onMeasurement?.(record);
      s.verdict = judgeMetric(s.records, s.metric.spec);
    });
    const failed = batch.find((s) => s.verdict?.phase === AnalysisPhase.Failed);
    if (failed) {
      for (const s of states.filter((x) => x.verdict === undefined)) {
        s.verdict = { phase: AnalysisPhase.Stopped, reason: `stopped after ${s.records.length} of ${s.metric.spec.count} measurements: metric ${failed.metric.spec.name} failed` };
      }
    }
  }
  return summarize(states, all, startedAt, clock.now());
}
