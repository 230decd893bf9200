import type { StepContext } from '../../engine/step-handler.js';
import type { RolloutProgress } from '../../domain/deployment.js';
import type { AnalysisMetricConfig } from '../../domain/rollout-config.js';
import { analysisPass, type AnalysisProgress } from '../../metrics/analysis.js';
import { analysisError, analysisSummary, describeMeasurement } from '../../metrics/analysis-report.js';
import type { GantryError } from '../../errors/index.js';
import type { TrafficSource } from '../../targets/target.js';
import { recordedProviders, type RouterReading } from './recorded-providers.js';

/** Router readings kept between passes: enough for the nearest reading to a measurement window's start. */
const KEPT_READINGS = 6;

/** A canary analysis step's measurements so far, kept on the deployment (RolloutProgress.analysis). */
interface CanaryAnalysisState {
  /** The step it belongs to: a state of another step starts afresh. */
  readonly step: number;
  readonly progress: AnalysisProgress | null;
  readonly readings: readonly RouterReading[];
}

export interface CanaryAnalysisInput {
  readonly environment: string;
  readonly service: string;
  readonly revision: number;
  readonly previous: number | undefined;
  readonly metrics: readonly AnalysisMetricConfig[];
  readonly traffic: TrafficSource;
  readonly prometheus: { readonly url: string; readonly timeoutMs: number } | null | undefined;
}

export type CanaryAnalysisOutcome =
  | { readonly kind: 'pending'; readonly progress: RolloutProgress; readonly waitMs: number }
  | { readonly kind: 'passed'; readonly summary: Record<string, unknown> }
  | { readonly kind: 'failed'; readonly error: GantryError };

/**
 * One pass of a canary's analysis step: the measurements due since the step began, on the canary's
 * own traffic (the router's counters of its revision, or PromQL with {{revision}}), Argo Rollouts'
 * AnalysisRun between steps. Its state is stored on the deployment after each pass, like the watch
 * window's, so a restarted control plane measures from the same starting counters. An inconclusive
 * analysis fails the canary too: no data proves nothing.
 */
export async function canaryAnalysisPass(ctx: StepContext, input: CanaryAnalysisInput, at: RolloutProgress): Promise<CanaryAnalysisOutcome> {
  const stored = at.analysis as CanaryAnalysisState | undefined;
  const state = stored?.step === at.stepIndex ? stored : undefined;
  const now = ctx.clock.now();
  const { providers, readings } = recordedProviders(input.traffic, input, state?.readings ?? [], ctx.clock, input.prometheus);
  const pass = await analysisPass({
    metrics: input.metrics,
    providers,
    context: { environment: input.environment, service: input.service, revision: input.revision, previous: input.previous },
    clock: ctx.clock,
    signal: ctx.signal,
    onMeasurement: (r) => ctx.log.info(`${input.service} canary r${input.revision}: ${describeMeasurement(r)}`),
    progress: state?.progress ?? null,
    elapsedMs: now - at.since,
    at: now,
  });
  if (pass.result) {
    const error = analysisError(pass.result, `${input.environment}/${input.service} r${input.revision} (canary step ${at.stepIndex + 1})`);
    return error ? { kind: 'failed', error } : { kind: 'passed', summary: analysisSummary(pass.result) };
  }
  const next: CanaryAnalysisState = { step: at.stepIndex, progress: pass.progress, readings: readings.slice(-KEPT_READINGS) };
  return { kind: 'pending', progress: { ...at, analysis: next as unknown as Record<string, unknown> }, waitMs: Math.max(1, (pass.nextDueMs ?? 0) - (now - at.since)) };
}
