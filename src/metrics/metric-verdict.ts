import { AnalysisPhase, MeasurementPhase } from './analysis-result.js';
import type { MeasurementRecord, MeasurementTally } from './analysis-result.js';

export interface MetricLimits {
  readonly count: number;
  /** Failed measurements tolerated; one more fails the metric. */
  readonly failureLimit: number;
  /** Inconclusive and error measurements tolerated; one more makes the metric inconclusive. */
  readonly inconclusiveLimit: number;
}

export interface Verdict {
  readonly phase: AnalysisPhase;
  readonly reason: string;
}

export function tally(records: readonly MeasurementRecord[]): MeasurementTally {
  const count = (phase: MeasurementPhase): number => records.filter((r) => r.phase === phase).length;
  return {
    successful: count(MeasurementPhase.Successful),
    failed: count(MeasurementPhase.Failed),
    inconclusive: count(MeasurementPhase.Inconclusive),
    error: count(MeasurementPhase.Error),
  };
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

function lastOf(records: readonly MeasurementRecord[], phases: readonly MeasurementPhase[]): string {
  const last = records.findLast((r) => phases.includes(r.phase));
  return last ? `; last: ${last.message}` : '';
}

/**
 * Where a metric stands after its latest measurement, as Argo Rollouts judges it: failed once the
 * failures exceed failureLimit, inconclusive once the measurements that proved nothing exceed
 * inconclusiveLimit, and otherwise undecided until all `count` are taken. Unlike Argo (issue 4479),
 * a metric none of whose measurements succeeded is never successful, whatever the limits allow.
 */
export function judgeMetric(records: readonly MeasurementRecord[], limits: MetricLimits): Verdict | undefined {
  const t = tally(records);
  const unproven = t.inconclusive + t.error;
  if (t.failed > limits.failureLimit) {
    return { phase: AnalysisPhase.Failed, reason: `${plural(t.failed, 'measurement')} failed, more than failureLimit ${limits.failureLimit}${lastOf(records, [MeasurementPhase.Failed])}` };
  }
  if (unproven > limits.inconclusiveLimit) {
    const what = t.error === 0 ? 'inconclusive' : t.inconclusive === 0 ? 'in error' : 'inconclusive or in error';
    const phases = [MeasurementPhase.Inconclusive, MeasurementPhase.Error];
    return { phase: AnalysisPhase.Inconclusive, reason: `${plural(unproven, 'measurement')} ${what}, more than inconclusiveLimit ${limits.inconclusiveLimit}${lastOf(records, phases)}` };
  }
  if (records.length < limits.count) return undefined;
  if (t.successful === 0) {
    return { phase: AnalysisPhase.Inconclusive, reason: `none of ${plural(records.length, 'measurement')} succeeded (${t.failed} failed, ${t.inconclusive} inconclusive, ${t.error} in error)` };
  }
  return { phase: AnalysisPhase.Successful, reason: `${t.successful} of ${plural(records.length, 'measurement')} succeeded` };
}
