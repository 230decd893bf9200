import type { MeasureWindow } from './provider.js';

/** What one measurement proved. */
export const MeasurementPhase = {
  Successful: 'successful',
  Failed: 'failed',
  /** No data (no traffic, an empty result, no baseline): it proves nothing either way. */
  Inconclusive: 'inconclusive',
  /** The provider could not measure (HTTP or PromQL failure). Counted like inconclusive. */
  Error: 'error',
} as const;
export type MeasurementPhase = (typeof MeasurementPhase)[keyof typeof MeasurementPhase];

/** Where a metric, or the whole analysis, ended. */
export const AnalysisPhase = {
  Successful: 'successful',
  Failed: 'failed',
  Inconclusive: 'inconclusive',
  /** A metric cut short because another one failed first. */
  Stopped: 'stopped',
} as const;
export type AnalysisPhase = (typeof AnalysisPhase)[keyof typeof AnalysisPhase];

export const isPassing = (phase: AnalysisPhase): boolean => phase === AnalysisPhase.Successful;

/** One measurement as it is shown and stored: the value, when, and its phase with the reason. */
export interface MeasurementRecord {
  readonly metric: string;
  /** 1-based: the n-th of the metric's `count` measurements. */
  readonly index: number;
  readonly window: MeasureWindow;
  /** When the measurement was taken (epoch ms). */
  readonly at: number;
  readonly phase: MeasurementPhase;
  /** The measured value; a vector when the query returned several series. */
  readonly value: number | readonly number[] | undefined;
  /** The previous revision's value, for `compare: previous`. */
  readonly baseline: number | undefined;
  /** Why: `0.034 fails result < 0.01`, the provider's no-data reason or error message. */
  readonly message: string;
}

export interface MeasurementTally {
  readonly successful: number;
  readonly failed: number;
  readonly inconclusive: number;
  readonly error: number;
}

export interface MetricResult {
  readonly name: string;
  readonly phase: AnalysisPhase;
  /** One sentence: why the metric ended where it did. */
  readonly reason: string;
  readonly tally: MeasurementTally;
  readonly measurements: readonly MeasurementRecord[];
}

export interface AnalysisResult {
  /** successful, failed or inconclusive (never stopped: that is only a metric's). */
  readonly phase: AnalysisPhase;
  /** The metric that decided a failed or inconclusive result (the first one, in config order). */
  readonly metric: string | undefined;
  /** One sentence for logs and notifications: which metric and why. */
  readonly reason: string;
  readonly metrics: readonly MetricResult[];
  /** Every measurement of every metric, in the order they were taken. */
  readonly measurements: readonly MeasurementRecord[];
  readonly startedAt: number;
  readonly finishedAt: number;
}
