import type { DeployStepSpec } from '../engine/deploy-plan.js';
import type { StepContext, StepHandler, StepOutcome } from '../engine/step-handler.js';
import { GantryError } from '../errors/index.js';
import type { SecretSource } from '../secrets/source.js';
import { DeploymentState } from '../store/repositories/deployment-repository.js';
import type { Store } from '../store/store.js';
import { strategyFor } from '../strategies/index.js';
import type { StrategyContext } from '../strategies/strategy.js';
import type { TargetRegistry } from '../targets/registry.js';
import type { RevisionSpec } from '../targets/target.js';
import { runSmokeTests } from './checks/http-checks.js';

export const abortableSleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason);
    }, { once: true });
  });

export interface DeployDeps {
  readonly store: Store;
  readonly targets: TargetRegistry;
  /** The OCI image layout the agents read artifacts from. */
  readonly layoutPath: string;
  readonly secrets: SecretSource;
}

/** Builds the strategy context for one deployment record; shared by deploy, finalize and rollback. */
export async function strategyContext(deps: DeployDeps, ctx: StepContext, d: { environment: string; service: string; revision: number; previousRevision: number | null; release: string; digest: string }, spec: Pick<DeployStepSpec, 'target' | 'strategy' | 'command' | 'env' | 'secrets' | 'replicas' | 'health' | 'smoke'>): Promise<StrategyContext> {
  const target = await deps.targets.get(spec.target);
  const revision: RevisionSpec = {
    environment: d.environment,
    service: d.service,
    revision: d.revision,
    release: d.release,
    artifact: { digest: d.digest, layout: deps.layoutPath },
    command: spec.command,
    env: { ...spec.env, ...deps.secrets.values(spec.secrets, d.environment) },
    replicas: spec.replicas,
    health: { path: spec.health.path, expectStatus: spec.health.expectStatus, intervalMs: Math.min(spec.health.intervalMs, 500), timeoutMs: spec.health.timeoutMs },
  };
  return {
    target,
    spec: revision,
    previous: d.previousRevision ?? undefined,
    config: spec.strategy,
    readyDeadlineMs: spec.health.deadlineMs,
    signal: ctx.signal,
    log: (line) => ctx.log.info(line),
    now: () => ctx.clock.now(),
    sleep: abortableSleep,
    preSwitchCheck: (url) => runSmokeTests(url, spec.smoke, ctx.signal, (line) => ctx.log.info(line)),
  };
}

/**
 * Deploys one service of a release to an environment with the environment's strategy. The deployment
 * record (with its revision and the previous one) is written before the target is touched, so a rerun
 * after a crash reconciles the same revision instead of starting another.
 */
export class DeployStep implements StepHandler {
  readonly kind = 'deploy';

  constructor(private readonly deps: DeployDeps) {}

  async run(ctx: StepContext): Promise<StepOutcome> {
    const spec = ctx.step.spec as DeployStepSpec;
    const { store } = this.deps;
    const pinned = spec.pinnedArtifact;
    const artifact = pinned ?? (await store.releases.forRelease(ctx.run.sha)).find((a) => a.service === spec.service);
    if (!artifact) throw new GantryError('RELEASE_NOT_FOUND', `release ${ctx.run.sha.slice(0, 7)} has no artifact for ${spec.service}`, { hint: 'The build step makes it; this is a plan without a build.' });
    const release = pinned?.release ?? ctx.run.sha;
    const live = await store.deployments.live(spec.environment, spec.service);
    const deployment = await store.deployments.ensure(
      { environment: spec.environment, service: spec.service, releaseId: artifact.releaseId, digest: artifact.digest, previousRevision: live?.revision ?? null, strategy: spec.strategy.kind, runId: ctx.run.id, triggeredBy: ctx.run.triggeredBy },
      ctx.clock.now(),
    );
    if (ctx.step.attempt > 1) ctx.log.info(`resuming the deployment of ${spec.service} r${deployment.revision}: reconciling with the target`);
    if (pinned) await store.deployments.setState(deployment.id, deployment.state, ctx.clock.now(), pinned.reason);
    const sctx = await strategyContext(this.deps, ctx, { ...deployment, release }, spec);
    ctx.log.info(`${spec.service}: r${deployment.revision} (${artifact.digest.slice(0, 19)}) replaces ${deployment.previousRevision === null ? 'nothing (first deployment)' : `r${deployment.previousRevision}`}`);
    await strategyFor(spec.strategy).rollout(sctx);
    await store.deployments.setState(deployment.id, DeploymentState.Switched, ctx.clock.now());
    const url = await sctx.target.url(spec.environment, spec.service, 'main');
    return { kind: 'done', summary: { revision: deployment.revision, previous: deployment.previousRevision, digest: artifact.digest, url }, message: `r${deployment.revision} serving at ${url}` };
  }

}
