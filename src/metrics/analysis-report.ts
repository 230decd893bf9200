import { GantryError } from '../errors/gantry-error.js';
import { AnalysisPhase } from './analysis-result.js';
import type { AnalysisResult, MeasurementRecord } from './analysis-result.js';

/** How a measurement reads in a step log: `error-rate #2/5 failed: 0.034 fails result < 0.01`. */
export function describeMeasurement(record: MeasurementRecord, count?: number): string {
  return `${record.metric} #${record.index}${count === undefined ? '' : `/${count}`} ${record.phase}: ${record.message}`;
}

/** JSON has no Infinity (a p99 in the +Inf bucket): such values travel as text. */
const jsonNumber = (n: number): number | string => (Number.isFinite(n) ? n : String(n));

/** A plain-JSON view of the result for a step summary, the API and notifications. */
export function analysisSummary(result: AnalysisResult): Record<string, unknown> {
  return {
    phase: result.phase,
    metric: result.metric,
    reason: result.reason,
    metrics: result.metrics.map((m) => ({ name: m.name, phase: m.phase, reason: m.reason, ...m.tally })),
    measurements: result.measurements.map((r) => ({
      metric: r.metric,
      index: r.index,
      at: r.at,
      phase: r.phase,
      value: typeof r.value === 'number' ? jsonNumber(r.value) : r.value === undefined ? null : r.value.map(jsonNumber),
      baseline: r.baseline === undefined ? null : jsonNumber(r.baseline),
      message: r.message,
    })),
  };
}

/**
 * The error a step throws for an analysis that did not pass, or undefined when it passed.
 * ANALYSIS_FAILED is evidence against the release (roll back); ANALYSIS_INCONCLUSIVE is the
 * absence of evidence, which a person may accept (like watch.onInconclusive: pause).
 */
export function analysisError(result: AnalysisResult, where?: string): GantryError | undefined {
  const details = { summary: { analysis: analysisSummary(result) } };
  if (result.phase === AnalysisPhase.Successful) return undefined;
  if (result.phase === AnalysisPhase.Failed) {
    return new GantryError('ANALYSIS_FAILED', `analysis failed: ${result.reason}`, { where, details, hint: 'The deployment is rolled back; the step summary lists every measurement.' });
  }
  return new GantryError('ANALYSIS_INCONCLUSIVE', `analysis inconclusive: ${result.reason}`, {
    where,
    details,
    hint: 'No data proves nothing: send traffic during the analysis, check the query returns a series for this revision, or raise inconclusiveLimit.',
  });
}
