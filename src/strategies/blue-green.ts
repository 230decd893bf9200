import type { StrategyConfig } from '../config/types.js';
import { HealthCheckError, InternalError } from '../errors/index.js';
import type { ServiceStatus } from '../targets/target.js';
import type { Strategy, StrategyContext } from './strategy.js';
import { hasWeights, isRunning, observe, ports, requireReady, revisionIn, routesOnlyTo, stillServing, waitReady, weightOf } from './wait-ready.js';

/**
 * Blue-green: green (the new revision) starts beside blue (the previous) with no users, is
 * reached through the preview route for the pre-switch checks, then takes the whole main route
 * in one setWeights call. Blue keeps running until `retire`, so rollback is one call away.
 * Every method starts from describe(), so a rerun after a crash continues where the last one stopped.
 */
export class BlueGreenStrategy implements Strategy {
  readonly kind = 'blue-green' as const;

  async rollout(ctx: StrategyContext): Promise<void> {
    blueGreenConfig(ctx.config);
    const { spec, previous, target } = ctx;
    const { environment, service: name, revision: green } = spec;
    const service = await observe(ctx);
    if (routesOnlyTo(service, 'main', green)) {
      await waitReady(ctx, green);
      ctx.log(`${name} main route already on green r${green}; nothing to switch`);
      await clearPreview(ctx, service);
      return;
    }
    if (!isRunning(revisionIn(service, green))) {
      ctx.log(`starting green ${name} r${green} (release ${spec.release.slice(0, 7)}) without traffic`);
      await target.startRevision(spec);
    }
    const ready = await waitReady(ctx, green);
    ctx.log(`green r${green} ready on ${ports(ready.status)}`);
    if (!routesOnlyTo(ready.service, 'preview', green)) await target.setWeights(environment, name, 'preview', { [green]: 100 });
    const url = await target.url(environment, name, 'preview');
    ctx.log(`${name} preview route → green r${green}; running pre-switch checks on ${url}`);
    try {
      await ctx.preSwitchCheck(url);
    } catch (error: unknown) {
      if (ctx.signal.aborted) throw error;
      throw new HealthCheckError('PRE_SWITCH_CHECK_FAILED', `pre-switch checks of ${name} r${green} failed on ${url}: ${error instanceof Error ? error.message : String(error)}`, {
        cause: error,
        where: `${environment}/${name} r${green} (preview)`,
        hint: 'Users never reached this revision. Reproduce the failing check against the preview URL, fix it, and deploy again.',
      });
    }
    // The checks may take minutes: green must still be ready at the moment users reach it.
    requireReady(ctx, await observe(ctx), green);
    await target.setWeights(environment, name, 'main', { [green]: 100 });
    ctx.log(previous === undefined ? `${name} main route now on green r${green} (first deploy)` : `switched ${name} main route: r${previous} → r${green}; blue r${previous} keeps running until retire`);
    await target.setWeights(environment, name, 'preview', {});
    ctx.log(`cleared ${name} preview route`);
  }

  async retire(ctx: StrategyContext): Promise<void> {
    const { scaleDownDelayMs } = blueGreenConfig(ctx.config);
    const { spec, previous: blue } = ctx;
    if (blue === undefined) return;
    const service = await observe(ctx);
    if (!isRunning(revisionIn(service, blue))) {
      ctx.log(`blue ${spec.service} r${blue} is already stopped`);
      return;
    }
    if (weightOf(service, 'main', blue) > 0) throw stillServing(ctx, blue);
    // Clients holding keep-alive connections or cached addresses may still reach blue for a while.
    ctx.log(`waiting ${Math.round(scaleDownDelayMs / 1000)} s (scale-down delay) before stopping blue ${spec.service} r${blue}`);
    await ctx.sleep(scaleDownDelayMs, ctx.signal);
    await ctx.target.stopRevision(spec.environment, spec.service, blue);
    ctx.log(`stopped blue ${spec.service} r${blue}: green r${spec.revision} passed monitoring`);
  }

  async rollback(ctx: StrategyContext, reason: string): Promise<void> {
    const { spec, previous: blue, target } = ctx;
    const { environment, service: name, revision: green } = spec;
    ctx.log(`rolling back ${name} green r${green}${blue === undefined ? '' : ` to blue r${blue}`}: ${reason}`);
    const service = await observe(ctx);
    if (blue === undefined) {
      if (hasWeights(service, 'main')) await target.setWeights(environment, name, 'main', {});
    } else if (!routesOnlyTo(service, 'main', blue)) {
      await waitReady(ctx, blue); // invariant 3 holds on the way back too
      await target.setWeights(environment, name, 'main', { [blue]: 100 });
      ctx.log(`switched ${name} main route back: r${green} → r${blue}`);
    }
    await clearPreview(ctx, service);
    if (isRunning(revisionIn(service, green))) {
      await target.stopRevision(environment, name, green);
      ctx.log(`stopped green ${name} r${green}`);
    }
  }
}

async function clearPreview(ctx: StrategyContext, service: ServiceStatus | undefined): Promise<void> {
  if (!hasWeights(service, 'preview')) return;
  await ctx.target.setWeights(ctx.spec.environment, ctx.spec.service, 'preview', {});
  ctx.log(`cleared ${ctx.spec.service} preview route`);
}

function blueGreenConfig(config: StrategyConfig): Extract<StrategyConfig, { kind: 'blue-green' }> {
  if (config.kind !== 'blue-green') throw new InternalError(`BlueGreenStrategy was given a ${config.kind} config`);
  return config;
}
