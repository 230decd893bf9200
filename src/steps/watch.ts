import { specOf, type WatchStepSpec } from '../engine/step-specs/index.js';
import type { StepContext, StepHandler, StepOutcome } from '../engine/step-handler.js';
import { GantryError } from '../errors/index.js';
import type { Store } from '../store/store.js';
import type { TargetRegistry } from '../targets/registry.js';
import type { ServiceStatus, TrafficSource } from '../targets/target.js';
import { p99FromBuckets } from '../metrics/latency.js';
import type { Deployment } from '../domain/deployment.js';
import { HealthWatch, watchBasis } from './watch-health.js';
import { analysesPass } from './watch-analysis.js';
import { credit, readWatch, saveWatch, startWatch, type WatchState, type WindowTotals } from './watch-state.js';
import { judgeWindow, trafficOf, windowTotals } from './watch-window.js';

/** One look per tick: the window's pass returns a wait of this long to the executor between looks. */
export const WATCH_TICK_MS = 500;

const revisionOf = (described: readonly ServiceStatus[], d: Deployment) => described.find((s) => s.service === d.service)?.revisions.find((r) => r.revision === d.revision);

/**
 * The watch window: the new revisions' own traffic, measured by the router, against the error-rate
 * and p99 thresholds. A window without traffic proves nothing: it is inconclusive, never a pass.
 * Services gantry.yaml watches by their health (workers, which users never call) need no traffic:
 * they pass when they stayed ready with no restart (watch-health.ts).
 *
 * Each run of the step is one pass (one look, and the analysis measurements due): its progress is
 * stored on the deployments (watch-state.ts) and the step waits in the executor until the next
 * tick, so a control plane restarted in the middle of the window carries on with what is left of it.
 */
export class WatchStep implements StepHandler {
  readonly kind = 'watch';

  constructor(private readonly store: Store, private readonly targets: TargetRegistry) {}

  async run(ctx: StepContext): Promise<StepOutcome> {
    const spec = specOf(ctx, 'watch');
    const decision = await this.humanDecision(ctx);
    if (decision) return decision;
    const target = await this.targets.get(spec.target);
    // The router's counters come from the target kind's traffic source (metrics/traffic.ts), not from Target.
    const traffic = await this.targets.traffic(spec.target);
    const deployments = (await this.store.deployments.allForRun(ctx.run.id)).filter((d) => d.environment === spec.environment && d.region === (spec.region ?? ''));
    const now = ctx.clock.now();
    const described = await target.describe(spec.environment);
    const states = new Map<string, WatchState>();
    for (const d of deployments) states.set(d.service, readWatch(d) ?? (await this.begin(traffic, spec, d, described, now)));
    const first = deployments[0] ? states.get(deployments[0].service) : undefined;
    if (first?.passes === 0) ctx.log.info(`watching ${deployments.map((d) => `${d.service} r${d.revision}`).join(', ')} for ${spec.watch.durationMs} ms (max error rate ${(spec.watch.maxErrorRate * 100).toFixed(1)} %${spec.watch.maxP99Ms ? `, max p99 ${spec.watch.maxP99Ms} ms` : ''})`);
    const { watchedMs, resumed } = first ? credit(first, now, WATCH_TICK_MS) : { watchedMs: spec.watch.durationMs, resumed: false };
    if (resumed) ctx.log.info(`resuming the watch window after ${Math.round(((first?.watchedMs ?? 0) / 1000) * 10) / 10} s watched of ${spec.watch.durationMs / 1000} s: the time the control plane was away is not counted as watched`);
    const windowOpen = first?.windowMs === null || first?.windowMs === undefined;
    const totals: Record<string, WindowTotals> = {};
    const health = new HealthWatch(deployments.filter((d) => watchBasis(spec.watch, d.service) === 'health'));
    for (const d of deployments) {
      const state = states.get(d.service) as WatchState;
      totals[d.service] = state.totals;
      health.resume(d.service, state.baseline.restarts, state.health);
    }
    if (windowOpen) {
      if (health.services.length > 0) health.observe(described);
      for (const d of deployments) {
        const state = states.get(d.service) as WatchState;
        const status = revisionOf(described, d);
        const w = windowTotals((await trafficOf(traffic, spec.environment, d.service)).find((t) => t.revision === d.revision), status, state.baseline);
        totals[d.service] = w;
        judgeWindow(spec.watch, d, status, w, totals);
      }
    }
    const windowMs = windowOpen ? (watchedMs >= spec.watch.durationMs ? watchedMs : null) : (first?.windowMs ?? null);
    const analysis = await analysesPass(ctx, spec, traffic, deployments, states, watchedMs, now);
    for (const d of deployments) {
      const state = states.get(d.service) as WatchState;
      const next: WatchState = {
        ...state,
        ...analysis.states.get(d.service),
        lastAt: now,
        nextAt: now + analysis.waitMs(windowMs === null ? spec.watch.durationMs - watchedMs : undefined, WATCH_TICK_MS),
        watchedMs,
        windowMs,
        passes: state.passes + 1,
        resumes: state.resumes + (resumed ? 1 : 0),
        totals: totals[d.service] ?? state.totals,
        health: health.records[d.service] ?? state.health,
      };
      states.set(d.service, next);
      await saveWatch(this.store, d, next, now);
    }
    const last = deployments[0] ? states.get(deployments[0].service) : undefined;
    if (windowMs === null || analysis.pending) {
      const wait = Math.max(1, (last?.nextAt ?? now + WATCH_TICK_MS) - now);
      return { kind: 'wait', message: `watching: ${Math.round(watchedMs / 1000)} s of ${Math.round(spec.watch.durationMs / 1000)} s`, retryInMs: wait };
    }
    return this.conclude(ctx, spec, deployments, totals, health, analysis.result, { durationMs: spec.watch.durationMs, watchedMs: windowMs, startedAt: last?.startedAt ?? now, passes: last?.passes ?? 0, resumes: last?.resumes ?? 0 });
  }

  /** The window's start for one deployment: the counters it is judged against, stored before the first look. */
  private async begin(source: TrafficSource, spec: WatchStepSpec, d: Deployment, described: readonly ServiceStatus[], now: number): Promise<WatchState> {
    const traffic = (await trafficOf(source, spec.environment, d.service)).find((t) => t.revision === d.revision) ?? null;
    const status = revisionOf(described, d);
    const state = startWatch(now, { traffic, restarts: status?.restarts ?? 0, outOfRotation: status?.outOfRotation ?? 0 });
    await saveWatch(this.store, d, state, now);
    return state;
  }

  private async conclude(ctx: StepContext, spec: WatchStepSpec, deployments: readonly Deployment[], totals: Record<string, WindowTotals>, health: HealthWatch, analysis: { inconclusive: string[]; summaries: Array<Record<string, unknown>> }, window: Record<string, number>): Promise<StepOutcome> {
    const silent = deployments.filter((d) => watchBasis(spec.watch, d.service) === 'traffic' && (totals[d.service]?.requests ?? 0) === 0).map((d) => d.service);
    for (const [service, w] of Object.entries(totals)) ctx.log.info(`${service}: ${w.requests} requests, ${w.failed} failed, p99 ${p99FromBuckets(w.buckets) ?? '-'} ms, replicas out of rotation ${w.outOfRotation} times, ${w.restarts} restarts`);
    ctx.log.info(`watched ${(window.watchedMs ?? 0) / 1000} s of ${spec.watch.durationMs / 1000} s in ${window.passes} looks${window.resumes ? `, resumed ${window.resumes} time(s) after the control plane was away` : ''}`);
    const unproven = [...(silent.length > 0 ? [`no traffic reached ${silent.join(', ')} during the watch window`] : []), ...analysis.inconclusive];
    if (unproven.length > 0) {
      const what = `inconclusive: ${unproven.join('; ')}`;
      if (spec.watch.onInconclusive === 'pause') {
        await this.store.events.append('analysis.inconclusive', 'gantry', ctx.run.id, { environment: spec.environment, services: silent, reasons: unproven }, ctx.clock.now());
        ctx.log.info(`${what}: waiting for a person (gantry approve ${ctx.run.id} to accept, gantry reject ${ctx.run.id} to roll back)`);
        return { kind: 'wait', message: `${what}; waiting for a decision`, retryInMs: 500 };
      }
      throw new GantryError('WATCH_INCONCLUSIVE', what, { hint: 'Send traffic during the window, or set watch.onInconclusive: pause; a service users never call is watched by its health: watch.services.<name>: { basis: health }.', details: { summary: { watch: totals, window, analysis: analysis.summaries, inconclusive: true } } });
    }
    const healthy = health.services.length > 0 ? `; ${health.services.join(', ')} stayed ready with no restart` : '';
    return {
      kind: 'done',
      summary: { watch: totals, window, ...(health.services.length > 0 ? { health: health.records } : {}), ...(analysis.summaries.length > 0 ? { analysis: analysis.summaries } : {}) },
      message: `${analysis.summaries.length > 0 ? 'thresholds held and the analysis passed' : 'thresholds held'}${healthy}`,
    };
  }

  /** After an inconclusive window paused, a person decides (an approval of kind `analysis`). A decision made while the window still ran does not count. */
  private async humanDecision(ctx: StepContext): Promise<StepOutcome | undefined> {
    const paused = (await this.store.events.list(100, ctx.run.id)).some((e) => e.kind === 'analysis.inconclusive');
    if (!paused) return undefined;
    const last = (await this.store.approvals.forRun(ctx.run.id, 'analysis')).at(-1);
    if (!last) return { kind: 'wait', message: 'inconclusive watch window; waiting for a decision', retryInMs: 500 };
    if (last.decision === 'rejected') throw new GantryError('WATCH_INCONCLUSIVE', `${last.user} rejected the inconclusive watch window${last.comment ? `: ${last.comment}` : ''}`);
    return { kind: 'done', summary: { acceptedBy: last.user }, message: `inconclusive window accepted by ${last.user}` };
  }
}
