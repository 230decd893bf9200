import type { WatchStepSpec } from '../engine/deploy-plan.js';
import type { StepContext, StepHandler, StepOutcome } from '../engine/step-handler.js';
import { GantryError } from '../errors/index.js';
import type { Store } from '../store/store.js';
import type { TargetRegistry } from '../targets/registry.js';
import type { RevisionStatus, RevisionTraffic, Target } from '../targets/target.js';
import { abortableSleep } from './support/abortable-sleep.js';
import { p99FromBuckets } from '../metrics/latency.js';
import { runAnalysis } from '../metrics/analysis.js';
import { analysisError, analysisSummary, describeMeasurement } from '../metrics/analysis-report.js';
import { PrometheusProvider } from '../metrics/providers/prometheus-provider.js';
import { RouterProvider } from '../metrics/providers/router-provider.js';
import type { Deployment } from '../domain/deployment.js';
import { HealthWatch, watchBasis } from './watch-health.js';

const TICK_MS = 500;

interface Window {
  requests: number;
  failed: number;
  buckets: Record<string, number>;
  /** Times a replica's readiness took it out of the router's rotation during the window. */
  outOfRotation: number;
  /** Restarts of its replicas during the window (a crash, or liveness). */
  restarts: number;
}

/** What the revision's replicas went through since the window began; a target that does not count them reports 0. */
function replicaFigures(now: RevisionStatus | undefined, start: RevisionStatus | undefined): Pick<Window, 'outOfRotation' | 'restarts'> {
  return { outOfRotation: Math.max(0, (now?.outOfRotation ?? 0) - (start?.outOfRotation ?? 0)), restarts: Math.max(0, (now?.restarts ?? 0) - (start?.restarts ?? 0)) };
}

function diff(now: RevisionTraffic | undefined, start: RevisionTraffic | undefined): Omit<Window, 'outOfRotation' | 'restarts'> {
  const buckets: Record<string, number> = {};
  for (const [k, v] of Object.entries(now?.latencyBuckets ?? {})) buckets[k] = v - (start?.latencyBuckets[k] ?? 0);
  const failed = (t: RevisionTraffic | undefined): number => (t ? t.status['5xx'] + t.errors : 0);
  return { requests: (now?.requests ?? 0) - (start?.requests ?? 0), failed: failed(now) - failed(start), buckets };
}

/**
 * The watch window: the new revisions' own traffic, measured by the router, against the error-rate
 * and p99 thresholds. A window without traffic proves nothing: it is inconclusive, never a pass.
 * Services gantry.yaml watches by their health (workers, which users never call) need no traffic:
 * they pass when they stayed ready with no restart (watch-health.ts).
 */
export class WatchStep implements StepHandler {
  readonly kind = 'watch';

  constructor(private readonly store: Store, private readonly targets: TargetRegistry) {}

  async run(ctx: StepContext): Promise<StepOutcome> {
    const spec = ctx.step.spec as WatchStepSpec;
    const decision = await this.humanDecision(ctx);
    if (decision) return decision;
    const target = await this.targets.get(spec.target);
    const deployments = (await this.store.deployments.allForRun(ctx.run.id)).filter((d) => d.environment === spec.environment);
    // The threshold window and the analyses run side by side; the first to fail stops the other.
    const both = new AbortController();
    const signal = AbortSignal.any([ctx.signal, both.signal]);
    const guard = <T>(work: Promise<T>): Promise<T> =>
      work.catch((error: unknown) => {
        both.abort(error);
        throw error;
      });
    const health = new HealthWatch(deployments.filter((d) => watchBasis(spec.watch, d.service) === 'health'));
    const [totals, analysis] = await Promise.all([guard(this.thresholds(ctx, spec, target, deployments, health, signal)), guard(this.analyses(ctx, spec, target, deployments, signal))]);
    const silent = deployments.filter((d) => watchBasis(spec.watch, d.service) === 'traffic' && (totals[d.service]?.requests ?? 0) === 0).map((d) => d.service);
    for (const [service, w] of Object.entries(totals)) ctx.log.info(`${service}: ${w.requests} requests, ${w.failed} failed, p99 ${p99FromBuckets(w.buckets) ?? '-'} ms, replicas out of rotation ${w.outOfRotation} times, ${w.restarts} restarts`);
    const unproven = [...(silent.length > 0 ? [`no traffic reached ${silent.join(', ')} during the watch window`] : []), ...analysis.inconclusive];
    if (unproven.length > 0) {
      const what = `inconclusive: ${unproven.join('; ')}`;
      if (spec.watch.onInconclusive === 'pause') {
        await this.store.events.append('analysis.inconclusive', 'gantry', ctx.run.id, { environment: spec.environment, services: silent, reasons: unproven }, ctx.clock.now());
        ctx.log.info(`${what}: waiting for a person (gantry approve ${ctx.run.id} to accept, gantry reject ${ctx.run.id} to roll back)`);
        return { kind: 'wait', message: `${what}; waiting for a decision`, retryInMs: 500 };
      }
      throw new GantryError('WATCH_INCONCLUSIVE', what, { hint: 'Send traffic during the window, or set watch.onInconclusive: pause; a service users never call is watched by its health: watch.services.<name>: { basis: health }.', details: { summary: { watch: totals, analysis: analysis.summaries, inconclusive: true } } });
    }
    const healthy = health.services.length > 0 ? `; ${health.services.join(', ')} stayed ready with no restart` : '';
    return {
      kind: 'done',
      summary: { watch: totals, ...(health.services.length > 0 ? { health: health.records } : {}), ...(analysis.summaries.length > 0 ? { analysis: analysis.summaries } : {}) },
      message: `${analysis.summaries.length > 0 ? 'thresholds held and the analysis passed' : 'thresholds held'}${healthy}`,
    };
  }

  /** The router's own counters for each new revision against the error-rate and p99 thresholds. */
  private async thresholds(ctx: StepContext, spec: WatchStepSpec, target: Target, deployments: readonly Deployment[], health: HealthWatch, signal: AbortSignal): Promise<Record<string, Window>> {
    const start = new Map<string, RevisionTraffic | undefined>();
    for (const d of deployments) start.set(d.service, (await target.traffic(spec.environment, d.service)).find((t) => t.revision === d.revision));
    const described = await target.describe(spec.environment);
    const begun = new Map(deployments.map((d) => [d.service, described.find((s) => s.service === d.service)?.revisions.find((r) => r.revision === d.revision)] as const));
    if (health.services.length > 0) health.begin(described);
    const end = ctx.clock.now() + spec.watch.durationMs;
    ctx.log.info(`watching ${deployments.map((d) => `${d.service} r${d.revision}`).join(', ')} for ${spec.watch.durationMs} ms (max error rate ${(spec.watch.maxErrorRate * 100).toFixed(1)} %${spec.watch.maxP99Ms ? `, max p99 ${spec.watch.maxP99Ms} ms` : ''})`);
    const totals: Record<string, Window> = {};
    for (;;) {
      if (health.services.length > 0) health.observe(await target.describe(spec.environment));
      for (const d of deployments) {
        const status = (await target.describe(spec.environment)).find((s) => s.service === d.service)?.revisions.find((r) => r.revision === d.revision);
        const w = { ...diff((await target.traffic(spec.environment, d.service)).find((t) => t.revision === d.revision), start.get(d.service)), ...replicaFigures(status, begun.get(d.service)) };
        if (status && (status.phase === 'crashed' || status.phase === 'crash-loop')) {
          totals[d.service] = w;
          throw new GantryError('WATCH_FAILED', `${d.service} r${d.revision} ${status.phase} during the watch window${status.lastError ? `: ${status.lastError}` : ''}`, { hint: 'Read the revision log; the deployment is rolled back.', details: { summary: { watch: totals } } });
        }
        totals[d.service] = w;
        const rate = w.requests === 0 ? 0 : w.failed / w.requests;
        const p99 = p99FromBuckets(w.buckets);
        if (w.requests >= 20 && rate > spec.watch.maxErrorRate) {
          throw new GantryError('WATCH_FAILED', `${d.service} r${d.revision}: error rate ${(rate * 100).toFixed(1)} % over ${w.requests} requests, above ${(spec.watch.maxErrorRate * 100).toFixed(1)} %`, { hint: 'The deployment is rolled back; read the revision log.', details: { summary: { watch: totals } } });
        }
        if (spec.watch.maxP99Ms !== undefined && w.requests >= 50 && p99 !== undefined && p99 > spec.watch.maxP99Ms) {
          throw new GantryError('WATCH_FAILED', `${d.service} r${d.revision}: p99 latency ${p99} ms above ${spec.watch.maxP99Ms} ms`, { hint: 'The deployment is rolled back.', details: { summary: { watch: totals } } });
        }
      }
      if (ctx.clock.now() >= end) break;
      await abortableSleep(Math.min(TICK_MS, Math.max(0, end - ctx.clock.now())), signal);
    }
    return totals;
  }

  /** The configured analysis (Argo-style metrics over the router or Prometheus), one per deployed service. */
  private async analyses(ctx: StepContext, spec: WatchStepSpec, target: Target, deployments: readonly Deployment[], signal: AbortSignal): Promise<{ inconclusive: string[]; summaries: Array<Record<string, unknown>> }> {
    if (spec.watch.analysis.length === 0) return { inconclusive: [], summaries: [] };
    // A service watched by its health has no traffic for the router to measure; its Prometheus metrics still apply.
    const metricsOf = (service: string) => spec.watch.analysis.filter((m) => watchBasis(spec.watch, service) === 'traffic' || m.provider !== 'router');
    const results = await Promise.all(
      deployments.filter((d) => metricsOf(d.service).length > 0).map(async (d) => {
        const metrics = metricsOf(d.service);
        const router = new RouterProvider(() => target.traffic(spec.environment, d.service), ctx.clock);
        const providers = { router, ...(spec.prometheus ? { prometheus: new PrometheusProvider({ url: spec.prometheus.url, timeoutMs: spec.prometheus.timeoutMs }) } : {}) };
        const result = await runAnalysis({
          metrics,
          providers,
          context: { environment: spec.environment, service: d.service, revision: d.revision, previous: d.previousRevision ?? undefined },
          clock: ctx.clock,
          sleep: abortableSleep,
          signal,
          onMeasurement: (r) => ctx.log.info(`${d.service}: ${describeMeasurement(r)}`),
        });
        return { d, result };
      }),
    );
    const inconclusive: string[] = [];
    for (const { d, result } of results) {
      const error = analysisError(result, `${d.service} r${d.revision}`);
      if (error?.code === 'ANALYSIS_INCONCLUSIVE') inconclusive.push(`${d.service}: ${result.reason}`);
      else if (error) throw error;
    }
    return { inconclusive, summaries: results.map(({ d, result }) => ({ service: d.service, ...analysisSummary(result) })) };
  }

  /** After an inconclusive window paused, a person decides (an approval of kind `analysis`). */
  private async humanDecision(ctx: StepContext): Promise<StepOutcome | undefined> {
    const decisions = await this.store.approvals.forRun(ctx.run.id, 'analysis');
    const last = decisions.at(-1);
    if (!last) {
      const paused = (await this.store.events.list(100, ctx.run.id)).some((e) => e.kind === 'analysis.inconclusive');
      return paused ? { kind: 'wait', message: 'inconclusive watch window; waiting for a decision', retryInMs: 500 } : undefined;
    }
    if (last.decision === 'rejected') throw new GantryError('WATCH_INCONCLUSIVE', `${last.user} rejected the inconclusive watch window${last.comment ? `: ${last.comment}` : ''}`);
    return { kind: 'done', summary: { acceptedBy: last.user }, message: `inconclusive window accepted by ${last.user}` };
  }
}
