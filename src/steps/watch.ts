import type { WatchStepSpec } from '../engine/deploy-plan.js';
import type { StepContext, StepHandler, StepOutcome } from '../engine/step-handler.js';
import { GantryError } from '../errors/index.js';
import type { Store } from '../store/store.js';
import type { TargetRegistry } from '../targets/registry.js';
import type { RevisionTraffic } from '../targets/target.js';
import { abortableSleep } from './deploy.js';
import { p99FromBuckets } from './latency.js';

const TICK_MS = 500;

interface Window {
  requests: number;
  failed: number;
  buckets: Record<string, number>;
}

function diff(now: RevisionTraffic | undefined, start: RevisionTraffic | undefined): Window {
  const buckets: Record<string, number> = {};
  for (const [k, v] of Object.entries(now?.latencyBuckets ?? {})) buckets[k] = v - (start?.latencyBuckets[k] ?? 0);
  const failed = (t: RevisionTraffic | undefined): number => (t ? t.status['5xx'] + t.errors : 0);
  return { requests: (now?.requests ?? 0) - (start?.requests ?? 0), failed: failed(now) - failed(start), buckets };
}

/**
 * The watch window: the new revisions' own traffic, measured by the router, against the error-rate
 * and p99 thresholds. A window without traffic proves nothing: it is inconclusive, never a pass.
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
    const start = new Map<string, RevisionTraffic | undefined>();
    for (const d of deployments) start.set(d.service, (await target.traffic(spec.environment, d.service)).find((t) => t.revision === d.revision));
    const end = ctx.clock.now() + spec.watch.durationMs;
    ctx.log.info(`watching ${deployments.map((d) => `${d.service} r${d.revision}`).join(', ')} for ${spec.watch.durationMs} ms (max error rate ${(spec.watch.maxErrorRate * 100).toFixed(1)} %${spec.watch.maxP99Ms ? `, max p99 ${spec.watch.maxP99Ms} ms` : ''})`);
    const totals: Record<string, Window> = {};
    for (;;) {
      for (const d of deployments) {
        const status = (await target.describe(spec.environment)).find((s) => s.service === d.service)?.revisions.find((r) => r.revision === d.revision);
        if (status && (status.phase === 'crashed' || status.phase === 'crash-loop')) {
          throw new GantryError('WATCH_FAILED', `${d.service} r${d.revision} ${status.phase} during the watch window${status.lastError ? `: ${status.lastError}` : ''}`, { hint: 'Read the revision log; the deployment is rolled back.' });
        }
        const w = diff((await target.traffic(spec.environment, d.service)).find((t) => t.revision === d.revision), start.get(d.service));
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
      await abortableSleep(Math.min(TICK_MS, Math.max(0, end - ctx.clock.now())), ctx.signal);
    }
    const silent = deployments.filter((d) => (totals[d.service]?.requests ?? 0) === 0).map((d) => d.service);
    for (const [service, w] of Object.entries(totals)) ctx.log.info(`${service}: ${w.requests} requests, ${w.failed} failed, p99 ${p99FromBuckets(w.buckets) ?? '-'} ms`);
    if (silent.length > 0) {
      const what = `inconclusive: no traffic reached ${silent.join(', ')} during the watch window`;
      if (spec.watch.onInconclusive === 'pause') {
        await this.store.events.append('analysis.inconclusive', 'gantry', ctx.run.id, { environment: spec.environment, services: silent }, ctx.clock.now());
        ctx.log.info(`${what}: waiting for a person (gantry approve ${ctx.run.id} to accept, gantry reject ${ctx.run.id} to roll back)`);
        return { kind: 'wait', message: `${what}; waiting for a decision`, retryInMs: 500 };
      }
      throw new GantryError('WATCH_INCONCLUSIVE', what, { hint: 'Send traffic during the window, or set watch.onInconclusive: pause.', details: { summary: { watch: totals, inconclusive: true } } });
    }
    return { kind: 'done', summary: { watch: totals }, message: 'thresholds held' };
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
