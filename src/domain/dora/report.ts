import { changeFailureRate } from './change-failure-rate.js';
import { classify, type ClassifyOptions } from './classify.js';
import { deploymentFrequency } from './deployment-frequency.js';
import { leadTime } from './lead-time.js';
import { recoveryTime } from './recovery-time.js';
import { reworkRate } from './rework-rate.js';
import { successRate } from './success-rate.js';
import type { DoraDeployment, DoraMetrics, DoraReport, DoraWindow, ServiceHistory } from './types.js';
import { windowEndingAt } from './window.js';

/** DORA measures production; an environment of that name is the default everywhere it is asked for. */
export const DEFAULT_DORA_ENVIRONMENT = 'production';

export interface DoraInput extends ClassifyOptions {
  /** The production environment's name: only its deployments count. */
  readonly environment: string;
  /** Injected "now": the end of the window. */
  readonly now: number;
  readonly windowMs: number;
  /** Services to report even when they have no deployment (the environment's services in gantry.yaml). */
  readonly services?: readonly string[];
}

type TallyOf<M> = M extends { tally(...args: never[]): infer T } ? T : never;

/** One service's reading of every metric: each history is read once, for its own figures and the overall ones. */
interface Tallies {
  readonly frequency: TallyOf<typeof deploymentFrequency>;
  readonly leadTime: TallyOf<typeof leadTime>;
  readonly changeFailure: TallyOf<typeof changeFailureRate>;
  readonly recovery: TallyOf<typeof recoveryTime>;
  readonly rework: TallyOf<typeof reworkRate>;
  readonly success: TallyOf<typeof successRate>;
}

function tally(h: ServiceHistory, window: DoraWindow): Tallies {
  return {
    frequency: deploymentFrequency.tally(h, window),
    leadTime: leadTime.tally(h, window),
    changeFailure: changeFailureRate.tally(h, window),
    recovery: recoveryTime.tally(h, window),
    rework: reworkRate.tally(h, window),
    success: successRate.tally(h, window),
  };
}

/** Every metric of one service (one tally) or of several pooled together (the overall figures). */
function summarize(tallies: readonly Tallies[], window: DoraWindow): DoraMetrics {
  const success = successRate.summarize(tallies.map((t) => t.success), window);
  return {
    deployments: success.total,
    deploymentFrequency: deploymentFrequency.summarize(tallies.map((t) => t.frequency), window),
    leadTime: leadTime.summarize(tallies.map((t) => t.leadTime), window),
    changeFailureRate: changeFailureRate.summarize(tallies.map((t) => t.changeFailure), window),
    recoveryTime: recoveryTime.summarize(tallies.map((t) => t.recovery), window),
    reworkRate: reworkRate.summarize(tallies.map((t) => t.rework), window),
    successRate: success,
  };
}

/**
 * DORA for one environment over the window ending at `now`, per service and overall. Records of
 * other environments are ignored; records outside the window are read only as context (what a
 * rollback reverted, whether a release was deployed before).
 */
export function computeDora(records: readonly DoraDeployment[], input: DoraInput): DoraReport {
  const window = windowEndingAt(input.now, input.windowMs);
  const histories = classify(
    records.filter((r) => r.environment === input.environment),
    input.hotfixRef ? { hotfixRef: input.hotfixRef } : {},
  );
  const all: Tallies[] = [];
  const services: Record<string, DoraMetrics> = {};
  for (const name of input.services ?? []) services[name] = summarize([], window);
  for (const h of histories) {
    const t = tally(h, window);
    all.push(t);
    services[h.service] = summarize([t], window);
  }
  return { environment: input.environment, window, overall: summarize(all, window), services: sortKeys(services) };
}

const sortKeys = <T>(record: Record<string, T>): Record<string, T> => Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

/** One bucket of a DORA series: the overall figures of the deployments created in [start, end]. */
export interface DoraBucket {
  readonly start: number;
  readonly end: number;
  readonly metrics: DoraMetrics;
}

/**
 * The report's window cut into buckets of `bucketMs` (the last one ends at `now`), for trend charts.
 * Histories are classified once over all records, so a failure reverted in a later bucket still
 * counts as a failed change in its own.
 */
export function computeDoraSeries(records: readonly DoraDeployment[], input: DoraInput, bucketMs: number): DoraBucket[] {
  const window = windowEndingAt(input.now, input.windowMs);
  const histories = classify(
    records.filter((r) => r.environment === input.environment),
    input.hotfixRef ? { hotfixRef: input.hotfixRef } : {},
  );
  const buckets: DoraBucket[] = [];
  for (let start = window.start; start < window.end; start += bucketMs) {
    // Windows are inclusive at both ends; a deployment exactly on a boundary belongs to the later bucket.
    const bucket = { start, end: Math.min(start + bucketMs, window.end) - (start + bucketMs < window.end ? 1 : 0) };
    buckets.push({ start: bucket.start, end: bucket.end, metrics: summarize(histories.map((h) => tally(h, bucket)), bucket) });
  }
  return buckets;
}
