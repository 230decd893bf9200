import type { StepContext } from '../../engine/step-handler.js';
import { CanaryPhase } from '../../domain/canary.js';
import type { Deployment, RolloutProgress } from '../../domain/deployment.js';
import { GantryError, InternalError } from '../../errors/index.js';
import { describeStep, Goal, reconcilePass, strategyFor, type PassOutcome, type StrategyContext } from '../../strategies/index.js';
import type { Store } from '../../store/store.js';
import type { TrafficSource } from '../../targets/target.js';
import { canaryAnalysisPass } from './canary-analysis.js';

/** Rounds of one step run: passes that follow each other at once, and short analysis waits held here. */
const MAX_ROUNDS = 32;
/**
 * An analysis measurement due this soon is waited for here rather than handed back to the executor:
 * a round trip through the store and a new claim costs more than the wait, and a canary failing at
 * 10 % should be measured, and taken down, as soon as its interval ends.
 */
const HOLD_WAIT_MS = 1_000;

export interface CanaryDriveInput {
  readonly store: Store;
  readonly deployment: Deployment;
  readonly sctx: StrategyContext;
  readonly traffic: TrafficSource;
  readonly prometheus: { readonly url: string; readonly timeoutMs: number } | null | undefined;
}

/**
 * A canary's passes within one run of the deploy step: a person's abort first (weight 0 at once, by
 * the rollback pass), then the analysis step under way, then the strategy's pass with the latest
 * promotion. The analysis lives here rather than in the pure strategy because it reads the router's
 * counters and Prometheus; the strategy only says when one is due (phase `analysing`).
 */
export async function driveCanary(ctx: StepContext, input: CanaryDriveInput): Promise<PassOutcome> {
  const { store, deployment, sctx } = input;
  const config = sctx.config;
  if (config.kind !== 'canary') throw new InternalError(`driveCanary was given a ${config.kind} strategy`);
  const save = (progress: RolloutProgress) => store.deployments.setProgress(deployment.id, progress);
  let progress = deployment.progress;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const decisions = (await store.approvals.forRun(ctx.run.id)).filter((d) => d.createdAt >= deployment.createdAt && d.environment === deployment.environment);
    const abort = decisions.find((d) => d.kind === 'abort');
    if (abort) {
      const tookMs = await abortNow(sctx, progress, save, `aborted by ${abort.user}${abort.comment ? `: ${abort.comment}` : ''}`);
      ctx.log.info(`${deployment.service}: canary r${deployment.revision} at weight 0 ${tookMs} ms after ${abort.user}'s abort`);
      throw new GantryError('CANARY_ABORTED', `${abort.user} aborted the canary of ${deployment.service} r${deployment.revision}${abort.comment ? `: ${abort.comment}` : ''}`, {
        where: `${deployment.environment}/${deployment.service} r${deployment.revision}`,
        hint: 'Its weight went to 0 at once and the stable revision serves all traffic; the run rolls back. Fix the release and deploy again.',
      });
    }
    if (progress?.phase === CanaryPhase.Analysing) {
      const step = config.steps[progress.stepIndex];
      const metrics = step && 'analysis' in step ? step.analysis.metrics : [];
      const outcome = await canaryAnalysisPass(ctx, { environment: deployment.environment, service: deployment.service, revision: deployment.revision, previous: deployment.previousRevision ?? undefined, metrics, traffic: input.traffic, prometheus: input.prometheus }, progress);
      if (outcome.kind === 'failed') {
        const tookMs = await abortNow(sctx, progress, save, outcome.error.message);
        ctx.log.info(`${deployment.service}: canary r${deployment.revision} at weight 0 ${tookMs} ms after the failed analysis; stable r${deployment.previousRevision ?? '-'} serves all main traffic`);
        throw outcome.error;
      }
      if (outcome.kind === 'pending') {
        await save(outcome.progress);
        if (outcome.waitMs > HOLD_WAIT_MS) return { progress: outcome.progress, wait: outcome.waitMs };
        await ctx.clock.sleep(outcome.waitMs, ctx.signal);
        progress = outcome.progress;
        continue;
      }
      ctx.log.info(`step ${progress.stepIndex + 1}/${config.steps.length}: analysis passed (${JSON.stringify(outcome.summary)})`);
      progress = { phase: CanaryPhase.Stepping, stepIndex: progress.stepIndex + 1, since: ctx.clock.now(), weights: progress.weights };
      await save(progress);
    }
    const promotedAt = decisions.filter((d) => d.kind === 'promote').at(-1)?.createdAt;
    const pass = await reconcilePass(strategyFor(config), Goal.Rollout, sctx, progress, { save, ...(promotedAt === undefined ? {} : { promotedAt }) });
    // An analysis just became due: its first pass (the starting counters) runs now, not a poll later.
    if (pass.progress?.phase === CanaryPhase.Analysing && progress?.phase !== CanaryPhase.Analysing) {
      progress = pass.progress;
      continue;
    }
    return pass;
  }
  return { progress, wait: 1 };
}

/**
 * The canary's weight to 0 at once: one setWeights putting the stable revision back on all main
 * traffic, before anything else (the match rule, stopping the canary) that the rollback pass then
 * does. Resolves when the router serves it, with the time that took.
 */
async function abortNow(sctx: StrategyContext, progress: RolloutProgress | null, save: (p: RolloutProgress) => Promise<void>, reason: string): Promise<number> {
  const started = sctx.now();
  const { environment, service } = sctx.spec;
  if (sctx.previous !== undefined) {
    const stable = { [sctx.previous]: 100 };
    await sctx.target.setWeights(environment, service, 'main', stable);
    await until(() => sctx.target.verifyWeights(environment, service, 'main', stable), sctx);
  }
  const tookMs = sctx.now() - started;
  await reconcilePass(strategyFor(sctx.config), Goal.Rollback, sctx, progress, { reason, save });
  return tookMs;
}

/** Asks again (a router that applies weights eventually) until the weights are in force, for as long as the step may run. */
async function until(check: () => Promise<{ applied: boolean }>, sctx: StrategyContext): Promise<void> {
  while (!(await check()).applied) await sctx.sleep(WEIGHTS_POLL_MS, sctx.signal);
}

/** How often an abort asks a router that applies weights eventually whether the canary's weight is 0 yet. */
const WEIGHTS_POLL_MS = 50;

/** Where a canary stands, for the step's message: which step, what it is, the canary's share. */
export function canaryStatus(deployment: Pick<Deployment, 'revision' | 'strategy'>, progress: RolloutProgress | null): string {
  const steps = deployment.strategy?.kind === 'canary' ? deployment.strategy.steps : [];
  const share = progress?.weights[String(deployment.revision)] ?? 0;
  const index = Math.min(progress?.stepIndex ?? 0, steps.length);
  const step = steps[index];
  const at = progress === null || progress.phase === CanaryPhase.Starting ? 'starting' : step ? `step ${index + 1}/${steps.length} (${describeStep(step)})${progress.phase === CanaryPhase.Paused && step && 'pause' in step && step.pause.durationMs === undefined ? ', paused: gantry promote to go on' : ''}` : 'all steps done';
  return `canary r${deployment.revision}: ${at}, ${share} % of main traffic`;
}
