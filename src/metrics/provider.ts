/**
 * The metric provider contract: what an analysis may ask of a source of measurements (the router's
 * own counters, Prometheus …). Modelled on Argo Rollouts' metric/provider.go: a provider only
 * measures; judging a measurement against its success condition is the analysis's job.
 */

/** One query, with every placeholder already filled in by the analysis. */
export interface MetricQuery {
  /** The metric's name in gantry.yaml, for messages. */
  readonly metric: string;
  /** PromQL for Prometheus; a built-in query name for the router. */
  readonly text: string;
  readonly environment: string;
  readonly service: string;
  /** The revision measured: the new one, or the previous one when measuring a baseline. */
  readonly revision: number;
  /** `baseline` when the query measures the previous revision for `compare: previous`. */
  readonly role: 'candidate' | 'baseline';
}

/** Epoch milliseconds; the measurement covers what happened between the two. */
export interface MeasureWindow {
  readonly start: number;
  readonly end: number;
}

/**
 * What a provider saw. `no-data` is its own kind, never a number: a window without traffic or an
 * empty query result proves nothing, and must end inconclusive rather than pass (Argo Rollouts
 * issues 1466 and 4479 are what happens otherwise). `error` is a measurement that could not be
 * taken (HTTP or PromQL failure), with the provider's own message.
 */
export type Measurement =
  | { readonly kind: 'value'; readonly value: number }
  | { readonly kind: 'vector'; readonly values: readonly number[] }
  | { readonly kind: 'no-data'; readonly reason: string }
  | { readonly kind: 'error'; readonly message: string };

export interface MetricProvider {
  readonly name: string;
  /**
   * Called once when an analysis starts, before its first measurement: a provider that measures
   * counter deltas (the router) takes its starting snapshot here.
   */
  begin?(signal: AbortSignal): Promise<void>;
  /**
   * Measures one query over a window. Resolves with an `error` measurement rather than rejecting
   * when the source fails; rejects only when `signal` is aborted.
   */
  measure(query: MetricQuery, window: MeasureWindow, signal: AbortSignal): Promise<Measurement>;
}

export const PROVIDER_KINDS = ['router', 'prometheus'] as const;
export type ProviderKind = (typeof PROVIDER_KINDS)[number];

/** The providers an analysis may use, by the name gantry.yaml gives them. */
export type MetricProviders = Partial<Readonly<Record<ProviderKind, MetricProvider>>>;

export const value = (n: number): Measurement => ({ kind: 'value', value: n });
export const noData = (reason: string): Measurement => ({ kind: 'no-data', reason });
export const measurementError = (message: string): Measurement => ({ kind: 'error', message });
