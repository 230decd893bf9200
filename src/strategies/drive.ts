import type { RolloutProgress } from '../domain/deployment.js';
import { HealthCheckError, InternalError, TargetError } from '../errors/index.js';
import type { RouteName, ServiceStatus, TargetCapabilities, WeightsCheck } from '../targets/target.js';
import { DEFAULT_READY_POLL_MS } from './reconcile.js';
import type { Action, Goal } from './reconcile.js';
import type { Strategy, StrategyContext } from './strategy.js';

/** Passes that ask to look again at once (after a start, after the checks) in a row; more is a strategy bug. */
const MAX_IMMEDIATE_PASSES = 8;
/** A canary's steps may follow each other at once (setWeight after setWeight): one pass each, on top of the rest. */
const immediatePasses = (ctx: StrategyContext): number => MAX_IMMEDIATE_PASSES + (ctx.config.kind === 'canary' ? ctx.config.steps.length : 0);

export interface PassOutcome {
  /** As stored; unchanged (null before the first pass) when the pass stopped for weights not yet in force. */
  readonly progress: RolloutProgress | null;
  /** ms until the next pass; undefined once the goal is reached. */
  readonly wait: number | undefined;
}

export interface PassOptions {
  /** Why a rollback happens, for its first log line. */
  readonly reason?: string;
  /** When a person last promoted the deployment's run (a canary's pause waits for one). */
  readonly promotedAt?: number;
  /** Stores the progress after each pass's actions were applied (the deployment record). */
  readonly save?: (progress: RolloutProgress) => Promise<void>;
}

/** The service as the target reports it now; undefined when the target runs nothing of it yet. */
export async function observe(ctx: StrategyContext): Promise<ServiceStatus | undefined> {
  const services = await ctx.target.describe(ctx.spec.environment);
  return services.find((s) => s.service === ctx.spec.service);
}

/**
 * One pass as a step runs it: observe, reconcile, apply the actions, store the progress. Passes
 * that ask to look again at once run here and now; a real wait is handed back to the caller (the
 * step returns it to the executor), so nothing sleeps through a rollout in memory.
 */
export async function reconcilePass(strategy: Strategy, goal: Goal, ctx: StrategyContext, progress: RolloutProgress | null, options: PassOptions = {}): Promise<PassOutcome> {
  if (goal === 'rollout') requireCapabilities(strategy, ctx);
  let current = progress;
  for (let pass = 0; pass < immediatePasses(ctx); pass++) {
    ctx.signal.throwIfAborted();
    const observed = await observe(ctx);
    const { spec, previous, config, readyDeadlineMs } = ctx;
    const rollsItself = ctx.target.capabilities().rollsItself;
    const result = strategy.reconcile({ goal, spec, previous, config, readyDeadlineMs, targetName: ctx.target.name, progress: current, observed, now: ctx.now(), rollsItself, ...(options.reason === undefined ? {} : { reason: options.reason }), ...(options.promotedAt === undefined ? {} : { promotedAt: options.promotedAt }) });
    for (const line of result.log) ctx.log(line);
    let served: Readonly<Record<string, number>> | undefined;
    for (const action of result.actions) {
      await apply(ctx, action);
      if (action.kind !== 'set-weights') continue;
      // A router may apply weights after setWeights returns: nothing more is stacked on weights not yet in force.
      const check = await weightsInForce(ctx, action.route, action.weights);
      if (!check.applied) return { progress: current, wait: DEFAULT_READY_POLL_MS };
      if (action.route === 'main') served = roundedBy(ctx, action.weights, check.actual);
    }
    // What the progress records is what users get: a target that rounds weights to whole pods serves its own split.
    current = served === undefined ? result.next : { ...result.next, weights: served };
    await options.save?.(current);
    if (result.wait !== 0) return { progress: current, wait: result.wait };
  }
  throw new InternalError(`the ${strategy.kind} strategy asked to look again at once ${MAX_IMMEDIATE_PASSES} times in a row (${goal})`);
}

/** Runs passes until the goal is reached, sleeping between them: for in-process callers and the strategies' unit tests. */
export async function reconcileToEnd(strategy: Strategy, goal: Goal, ctx: StrategyContext, options: PassOptions = {}): Promise<RolloutProgress | null> {
  let progress: RolloutProgress | null = null;
  for (;;) {
    const outcome = await reconcilePass(strategy, goal, ctx, progress, options);
    progress = outcome.progress;
    if (outcome.wait === undefined) return progress;
    await ctx.sleep(outcome.wait, ctx.signal);
  }
}

/** What a strategy needs of its target's routing; a target that lacks it is refused before anything starts. */
const NEEDS: Readonly<Record<Strategy['kind'], (has: TargetCapabilities) => ReadonlyArray<keyof TargetCapabilities>>> = {
  // Batches split the main route by weight, unless the target rolls the revision out itself (a Kubernetes Deployment).
  rolling: (has) => (has.rollsItself ? [] : ['weightedRouting']),
  // The pre-switch checks reach green through the preview route.
  'blue-green': () => ['preview'],
  // Steps split the main route by weight; testers' match rule needs header routing (checked with the config in requireCapabilities).
  canary: () => ['weightedRouting'],
};

function requireCapabilities(strategy: Strategy, ctx: StrategyContext): void {
  const has = ctx.target.capabilities();
  const needs = [...NEEDS[strategy.kind](has), ...(ctx.config.kind === 'canary' && ctx.config.match ? (['headerRouting'] as const) : [])];
  const missing = needs.filter((need) => !has[need]);
  if (missing.length === 0) return;
  throw new TargetError('TARGET_CAPABILITY_MISSING', `target ${ctx.target.name} cannot do ${missing.join(' and ')}, which the ${strategy.kind} strategy of ${ctx.spec.environment} needs`, {
    where: `${ctx.spec.environment}/${ctx.spec.service} r${ctx.spec.revision}`,
    hint: `Choose a strategy this target supports, or a target that supports ${strategy.kind}. Nothing was started.`,
  });
}

async function weightsInForce(ctx: StrategyContext, route: RouteName, weights: Readonly<Record<string, number>>): Promise<WeightsCheck> {
  const check = await ctx.target.verifyWeights(ctx.spec.environment, ctx.spec.service, route, weights);
  if (!check.applied) ctx.log(`${ctx.spec.service} ${route} route does not serve ${JSON.stringify(weights)} yet (it serves ${JSON.stringify(check.actual)}); looking again before anything else changes`);
  return check;
}

/** The split in force when it differs from the one asked for (a target that splits by whole replicas), said once in the log; undefined when they agree. */
function roundedBy(ctx: StrategyContext, asked: Readonly<Record<string, number>>, actual: Readonly<Record<string, number>>): Readonly<Record<string, number>> | undefined {
  const live = (w: Readonly<Record<string, number>>) => JSON.stringify(Object.entries(w).filter(([, x]) => x > 0).sort(([a], [b]) => a.localeCompare(b)));
  if (live(asked) === live(actual) || Object.keys(actual).length === 0) return undefined;
  ctx.log(`${ctx.spec.service} main route serves ${JSON.stringify(actual)} for ${JSON.stringify(asked)}: the target splits traffic by whole replicas`);
  return actual;
}

async function apply(ctx: StrategyContext, action: Action): Promise<void> {
  const { target, spec } = ctx;
  switch (action.kind) {
    case 'start':
      return target.startRevision(action.spec);
    case 'set-weights':
      return target.setWeights(spec.environment, spec.service, action.route, action.weights);
    case 'stop':
      return target.stopRevision(spec.environment, spec.service, action.revision);
    case 'check':
      return preSwitchCheck(ctx);
    case 'set-match':
      if (!target.setMatch) throw new InternalError(`target ${target.name} has no match routing, yet a ${ctx.config.kind} pass asked for it`);
      return target.setMatch(spec.environment, spec.service, action.match);
    default: {
      const unknown: never = action;
      throw new InternalError(`unknown strategy action ${JSON.stringify(unknown)}`);
    }
  }
}

async function preSwitchCheck(ctx: StrategyContext): Promise<void> {
  const { environment, service: name, revision: green } = ctx.spec;
  const url = await ctx.target.url(environment, name, 'preview');
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
}
