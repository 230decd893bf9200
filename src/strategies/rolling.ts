import type { StrategyConfig } from '../config/types.js';
import { InternalError } from '../errors/index.js';
import { RevisionPhase } from '../targets/target.js';
import type { ServiceStatus } from '../targets/target.js';
import type { Strategy, StrategyContext } from './strategy.js';
import { hasWeights, isRunning, observe, ports, requireReady, revisionIn, routesOnlyTo, stillServing, waitReady, weightOf } from './wait-ready.js';

/**
 * Rolling: the new revision starts beside the previous one with all its replicas, and the main
 * route's traffic moves to it in batches of maxSurge replicas' worth (4 replicas, maxSurge 1:
 * 25 → 50 → 75 → 100 %), re-checking readiness before each batch. A rerun after a crash resumes
 * from the share the target already has.
 *
 * maxUnavailable bounds how much serving capacity may be taken away from the previous revision
 * while traffic shifts. Here nothing is ever taken away: the previous revision keeps every replica
 * until `retire` (invariant 3: instant rollback until monitoring passes), so the bound always
 * holds and the setting changes nothing. It would matter only for a target that must stop old
 * replicas to make room for new ones, which this strategy never does.
 */
export class RollingStrategy implements Strategy {
  readonly kind = 'rolling' as const;

  async rollout(ctx: StrategyContext): Promise<void> {
    const { spec, previous, target } = ctx;
    const { maxSurge } = rollingConfig(ctx.config);
    const rev = spec.revision;
    if (!isRunning(revisionIn(await observe(ctx), rev))) {
      ctx.log(`starting ${spec.service} r${rev} (release ${spec.release.slice(0, 7)}, ${spec.replicas} replica(s)) without traffic`);
      await target.startRevision(spec);
    }
    const ready = await waitReady(ctx, rev);
    ctx.log(`${spec.service} r${rev} ready on ${ports(ready.status)}`);
    let service: ServiceStatus | undefined = ready.service;
    if (routesOnlyTo(service, 'main', rev)) {
      ctx.log(`${spec.service} main route already sends all traffic to r${rev}; nothing to shift`);
      return;
    }
    const all = shares(spec.replicas, maxSurge, previous);
    const pending = all.filter((share) => share > weightOf(service, 'main', rev));
    for (const [i, share] of (pending.length > 0 ? pending : [100]).entries()) {
      if (i > 0) {
        // One probe interval per batch, so the target has probed the revision under its new load before it gets more.
        await ctx.sleep(spec.health.intervalMs, ctx.signal);
        service = await observe(ctx);
        requireReady(ctx, service, rev);
      }
      const old = previous === undefined ? undefined : revisionIn(service, previous);
      // Shifting gradually only protects users if the old revision still serves them well.
      const next = old?.phase === RevisionPhase.Ready ? share : 100;
      if (old && next !== share) ctx.log(`previous r${old.revision} is ${old.phase}: moving all of ${spec.service} main route to r${rev} at once`);
      const weights = previous === undefined ? { [rev]: next } : { [previous]: 100 - next, [rev]: next };
      await target.setWeights(spec.environment, spec.service, 'main', weights);
      if (next < 100) ctx.log(`${spec.service} main route: r${rev} ${next} %, r${previous} ${100 - next} % (step ${all.indexOf(share) + 1} of ${all.length})`);
      if (next === 100) break;
    }
    ctx.log(previous === undefined ? `${spec.service} main route now on r${rev} (first deploy)` : `switched ${spec.service} main route: r${previous} → r${rev}; r${previous} keeps running for rollback`);
  }

  async retire(ctx: StrategyContext): Promise<void> {
    const { spec, previous } = ctx;
    if (previous === undefined) return;
    const service = await observe(ctx);
    if (!isRunning(revisionIn(service, previous))) {
      ctx.log(`previous ${spec.service} r${previous} is already stopped`);
      return;
    }
    if (weightOf(service, 'main', previous) > 0) throw stillServing(ctx, previous);
    await ctx.target.stopRevision(spec.environment, spec.service, previous);
    ctx.log(`stopped previous ${spec.service} r${previous}: r${spec.revision} passed monitoring`);
  }

  async rollback(ctx: StrategyContext, reason: string): Promise<void> {
    const { spec, previous, target } = ctx;
    const rev = spec.revision;
    ctx.log(`rolling back ${spec.service} r${rev}${previous === undefined ? '' : ` to r${previous}`}: ${reason}`);
    const service = await observe(ctx);
    if (previous === undefined) {
      if (hasWeights(service, 'main')) await target.setWeights(spec.environment, spec.service, 'main', {});
    } else if (!routesOnlyTo(service, 'main', previous)) {
      await waitReady(ctx, previous); // invariant 3 holds on the way back too
      await target.setWeights(spec.environment, spec.service, 'main', { [previous]: 100 });
      ctx.log(`switched ${spec.service} main route back: r${rev} → r${previous}`);
    }
    if (isRunning(revisionIn(service, rev))) {
      await target.stopRevision(spec.environment, spec.service, rev);
      ctx.log(`stopped ${spec.service} r${rev}`);
    }
  }
}

/** The new revision's main-route share after each batch: ceil(replicas / maxSurge) steps ending at 100. */
export function shares(replicas: number, maxSurge: number, previous: number | undefined): number[] {
  if (previous === undefined || replicas <= 1) return [100];
  const batch = Math.max(1, maxSurge);
  const steps = Math.ceil(replicas / batch);
  return Array.from({ length: steps }, (_, i) => Math.round((100 * Math.min(replicas, (i + 1) * batch)) / replicas));
}

function rollingConfig(config: StrategyConfig): Extract<StrategyConfig, { kind: 'rolling' }> {
  if (config.kind !== 'rolling') throw new InternalError(`RollingStrategy was given a ${config.kind} config`);
  return config;
}
