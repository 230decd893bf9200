import type { WatchStepSpec } from '../engine/step-specs/index.js';
import type { StepContext } from '../engine/step-handler.js';
import type { Deployment } from '../domain/deployment.js';
import { analysisPass } from '../metrics/analysis.js';
import { analysisError, analysisSummary, describeMeasurement } from '../metrics/analysis-report.js';
import { recordedProviders } from './support/recorded-providers.js';
import type { TrafficSource } from '../targets/target.js';
import { watchBasis } from './watch-health.js';
import type { WatchState } from './watch-state.js';

/** Router readings kept on the deployment between passes: enough for the nearest reading to a window's start. */
const KEPT_READINGS = 6;

export interface AnalysesPass {
  /** What to store for each analysed service. */
  readonly states: ReadonlyMap<string, Pick<WatchState, 'analysis' | 'readings'>>;
  /** True while some analysis still has measurements to take. */
  readonly pending: boolean;
  readonly result: { inconclusive: string[]; summaries: Array<Record<string, unknown>> };
  /** ms until the next pass: the next tick of an open window, or the next measurement due. */
  waitMs(windowLeftMs: number | undefined, tickMs: number): number;
}

/**
 * One pass of the configured analyses (Argo-style metrics over the router or Prometheus), one per
 * deployed service, side by side: the measurements due by the time watched so far are taken and
 * stored with the router readings they were measured from, so a new provider after a restart
 * measures from the same starting counters. A failed analysis throws at once.
 */
export async function analysesPass(ctx: StepContext, spec: WatchStepSpec, source: TrafficSource, deployments: readonly Deployment[], states: ReadonlyMap<string, WatchState>, watchedMs: number, now: number): Promise<AnalysesPass> {
  // A service watched by its health has no traffic for the router to measure; its Prometheus metrics still apply.
  const metricsOf = (service: string) => spec.watch.analysis.filter((m) => watchBasis(spec.watch, service) === 'traffic' || m.provider !== 'router');
  const analysed = spec.watch.analysis.length === 0 ? [] : deployments.filter((d) => metricsOf(d.service).length > 0);
  const passes = await Promise.all(
    analysed.map(async (d) => {
      const state = states.get(d.service);
      const { providers, readings } = recordedProviders(source, { environment: spec.environment, service: d.service }, state?.readings ?? [], ctx.clock, spec.prometheus);
      const pass = await analysisPass({
        metrics: metricsOf(d.service),
        providers,
        context: { environment: spec.environment, service: d.service, revision: d.revision, previous: d.previousRevision ?? undefined },
        clock: ctx.clock,
        signal: ctx.signal,
        onMeasurement: (r) => ctx.log.info(`${d.service}: ${describeMeasurement(r)}`),
        progress: state?.analysis ?? null,
        elapsedMs: watchedMs,
        at: now,
      });
      return { d, pass, readings: readings.slice(-KEPT_READINGS) };
    }),
  );
  const inconclusive: string[] = [];
  for (const { d, pass } of passes) {
    if (!pass.result) continue;
    const error = analysisError(pass.result, `${d.service} r${d.revision}`);
    if (error?.code === 'ANALYSIS_INCONCLUSIVE') inconclusive.push(`${d.service}: ${pass.result.reason}`);
    else if (error) throw error;
  }
  const pending = passes.filter((p) => p.pass.result === undefined);
  const nextDue = Math.min(...pending.map((p) => p.pass.nextDueMs ?? watchedMs));
  return {
    states: new Map(passes.map((p) => [p.d.service, { analysis: p.pass.progress, readings: p.readings }])),
    pending: pending.length > 0,
    result: { inconclusive, summaries: pending.length > 0 ? [] : passes.map(({ d, pass }) => ({ service: d.service, ...(pass.result ? analysisSummary(pass.result) : {}) })) },
    waitMs: (windowLeftMs, tickMs) => {
      const candidates = [...(windowLeftMs === undefined ? [] : [Math.min(tickMs, windowLeftMs)]), ...(pending.length > 0 ? [nextDue - watchedMs] : [])];
      return Math.max(1, candidates.length > 0 ? Math.min(...candidates) : tickMs);
    },
  };
}
