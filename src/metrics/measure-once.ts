import type { AnalysisMetricConfig } from '../domain/rollout-config.js';
import { MeasurementPhase } from './analysis-result.js';
import type { MeasurementRecord } from './analysis-result.js';
import type { Condition } from './condition.js';
import { fillPlaceholders, promDuration, usesPlaceholder } from './placeholders.js';
import type { MeasureWindow, Measurement, MetricProvider, MetricQuery } from './provider.js';

/** The deployment an analysis judges. */
export interface AnalysisContext {
  readonly environment: string;
  readonly service: string;
  /** The new revision. */
  readonly revision: number;
  /** The revision that served before it; undefined at a service's first deployment. */
  readonly previous: number | undefined;
}

/** A metric of the config with its condition parsed and its provider found. */
export interface PreparedMetric {
  readonly spec: AnalysisMetricConfig;
  readonly condition: Condition;
  readonly provider: MetricProvider;
}

export interface MeasureRequest {
  readonly metric: PreparedMetric;
  readonly context: AnalysisContext;
  readonly index: number;
  readonly window: MeasureWindow;
  readonly signal: AbortSignal;
  readonly now: () => number;
}

type Outcome = Pick<MeasurementRecord, 'phase' | 'value' | 'baseline' | 'message'>;

export const formatNumber = (n: number): string => (Number.isFinite(n) ? String(Number(n.toPrecision(4))) : String(n));

async function take(provider: MetricProvider, request: MeasureRequest, revision: number, role: MetricQuery['role']): Promise<Measurement> {
  const { spec } = request.metric;
  const { context, window, signal } = request;
  const text = fillPlaceholders(spec.query, {
    revision: String(revision),
    previous: context.previous === undefined ? undefined : String(context.previous),
    service: context.service,
    environment: context.environment,
    window: promDuration(window.end - window.start),
  });
  try {
    return await provider.measure({ metric: spec.name, text, environment: context.environment, service: context.service, revision, role }, window, signal);
  } catch (error: unknown) {
    // Cancelling the analysis is not a measurement; anything else a provider throws is one in error.
    if (signal.aborted) throw signal.reason;
    return { kind: 'error', message: `${provider.name} failed: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/** A measurement as finite numbers: NaN is what Prometheus answers for 0/0, and it proves nothing. */
function numbersOf(m: Measurement & { kind: 'value' | 'vector' }): number[] {
  return (m.kind === 'value' ? [m.value] : [...m.values]).filter((n) => !Number.isNaN(n));
}

function judge(metric: PreparedMetric, result: Measurement, baseline: Measurement | undefined): Outcome {
  const none = { value: undefined, baseline: undefined };
  if (result.kind === 'error') return { ...none, phase: MeasurementPhase.Error, message: result.message };
  if (baseline?.kind === 'error') return { ...none, phase: MeasurementPhase.Error, message: `baseline: ${baseline.message}` };
  if (result.kind === 'no-data') return { ...none, phase: MeasurementPhase.Inconclusive, message: `no data: ${result.reason}` };
  if (baseline?.kind === 'no-data') return { ...none, phase: MeasurementPhase.Inconclusive, message: `no baseline: ${baseline.reason}` };
  const values = numbersOf(result);
  if (values.length === 0) return { ...none, phase: MeasurementPhase.Inconclusive, message: 'no data: the query returned only NaN' };
  const value = values.length === 1 ? values[0] : values;
  let base: number | undefined;
  if (baseline) {
    const bases = numbersOf(baseline);
    if (bases.length === 0) return { value, baseline: undefined, phase: MeasurementPhase.Inconclusive, message: 'no baseline: the query returned only NaN' };
    if (bases.length > 1) {
      return { value, baseline: undefined, phase: MeasurementPhase.Error, message: `the baseline query returned ${bases.length} series; aggregate it to one, e.g. with sum() or max()` };
    }
    base = bases[0];
  }
  // A vector passes when every series does: one bad instance is enough to fail a release.
  const failing = values.filter((n) => !metric.condition.test({ result: n, baseline: base }));
  const against = base === undefined ? '' : ` with baseline ${formatNumber(base)}`;
  if (failing.length === 0) return { value, baseline: base, phase: MeasurementPhase.Successful, message: `${values.map(formatNumber).join(', ')} passes ${metric.condition.text}${against}` };
  return { value, baseline: base, phase: MeasurementPhase.Failed, message: `${failing.map(formatNumber).join(', ')} fails ${metric.condition.text}${against}` };
}

/** Takes the n-th measurement of a metric (and of its baseline), and judges it. */
export async function measureOnce(request: MeasureRequest): Promise<MeasurementRecord> {
  const { metric, context, index, window } = request;
  const { spec, provider } = metric;
  const record = (outcome: Outcome): MeasurementRecord => ({ metric: spec.name, index, window, at: request.now(), ...outcome });
  const needsPrevious = spec.compare === 'previous' || usesPlaceholder(spec.query, 'previous');
  if (needsPrevious && context.previous === undefined) {
    return record({ phase: MeasurementPhase.Inconclusive, value: undefined, baseline: undefined, message: `no baseline: ${context.service} has no previous revision in ${context.environment} to compare with` });
  }
  const [result, baseline] = await Promise.all([
    take(provider, request, context.revision, 'candidate'),
    spec.compare === 'previous' && context.previous !== undefined ? take(provider, request, context.previous, 'baseline') : Promise.resolve(undefined),
  ]);
  return record(judge(metric, result, baseline));
}
