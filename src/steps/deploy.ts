import { specOf } from '../engine/step-specs/index.js';
import type { StepContext, StepHandler, StepOutcome } from '../engine/step-handler.js';
import { GantryError } from '../errors/index.js';
import { DeploymentState } from '../domain/deployment.js';
import { Goal, reconcilePass, strategyFor } from '../strategies/index.js';
import { canaryStatus, driveCanary } from './support/canary-drive.js';
import { deploymentRecord, recordToWrite } from './support/deployment-record.js';
import { placeImage } from './support/image-placement.js';
import { strategyContext, type DeployDeps } from './support/strategy-context.js';


/**
 * Deploys one service of a release to an environment with the environment's strategy. The deployment
 * record (with its revision and the previous one) is written before the target is touched, so a rerun
 * after a crash reconciles the same revision instead of starting another.
 */
export class DeployStep implements StepHandler {
  readonly kind = 'deploy';

  constructor(private readonly deps: DeployDeps) {}

  async run(ctx: StepContext): Promise<StepOutcome> {
    const spec = specOf(ctx, 'deploy');
    const { store } = this.deps;
    const pinned = spec.pinnedArtifact;
    const artifact = pinned ?? (await store.releases.forRelease(ctx.run.sha)).find((a) => a.service === spec.service);
    if (!artifact) throw new GantryError('RELEASE_NOT_FOUND', `release ${ctx.run.sha.slice(0, 7)} has no artifact for ${spec.service}`, { hint: 'The build step makes it; this is a plan without a build.' });
    const release = pinned?.release ?? ctx.run.sha;
    const region = spec.region ?? '';
    const live = await store.deployments.live(spec.environment, spec.service, region);
    // What this revision runs is recorded with it (a rollback's is a copy of the revision gone back to).
    const written = await recordToWrite(store, spec);
    // A service with an image runs it by digest from the environment's registry; a rollback's copied record names its own already.
    const record = spec.image && !written.spec.image ? { ...written, spec: { ...written.spec, image: await placeImage(store, this.deps.secrets, ctx, spec.environment, spec.service, artifact.releaseId, spec.image) } } : written;
    const deployment = await store.deployments.ensure(
      { environment: spec.environment, service: spec.service, region, releaseId: artifact.releaseId, digest: artifact.digest, previousRevision: live?.revision ?? null, ...record, runId: ctx.run.id, triggeredBy: ctx.run.triggeredBy },
      ctx.clock.now(),
    );
    if (ctx.step.attempt > 1) ctx.log.info(`resuming the deployment of ${spec.service} r${deployment.revision}: reconciling with the target`);
    if (pinned) await store.deployments.setState(deployment.id, deployment.state, ctx.clock.now(), pinned.reason);
    const recorded = (await deploymentRecord(store, deployment)) ?? record;
    const sctx = await strategyContext(this.deps, ctx, { ...deployment, release }, recorded);
    if (deployment.progress === null) ctx.log.info(`${spec.service}: r${deployment.revision} (${sctx.spec.artifact.ref.startsWith('oci-layout:') ? artifact.digest.slice(0, 19) : sctx.spec.artifact.ref}) replaces ${deployment.previousRevision === null ? 'nothing (first deployment)' : `r${deployment.previousRevision}`}`);
    // One pass of the strategy; between batches (and while the revision starts) the step waits in the executor, with its progress on the deployment.
    const pass =
      sctx.config.kind === 'canary'
        ? await driveCanary(ctx, { store, deployment, sctx, traffic: await this.deps.targets.traffic(recorded.target), prometheus: spec.prometheus })
        : await reconcilePass(strategyFor(sctx.config), Goal.Rollout, sctx, deployment.progress, { save: (progress) => store.deployments.setProgress(deployment.id, progress) });
    if (pass.wait !== undefined) {
      const status = sctx.config.kind === 'canary' ? canaryStatus({ revision: deployment.revision, strategy: sctx.config }, pass.progress) : `r${deployment.revision}: ${pass.progress?.phase ?? 'starting'}, ${mainShare(pass.progress?.weights ?? {}, deployment.revision)} % of main traffic`;
      return { kind: 'wait', message: `${spec.service} ${status}`, retryInMs: pass.wait };
    }
    await store.deployments.setState(deployment.id, DeploymentState.Switched, ctx.clock.now());
    const url = await sctx.target.url(spec.environment, spec.service, 'main');
    const image = sctx.spec.artifact.ref.startsWith('oci-layout:') ? {} : { image: sctx.spec.artifact.ref };
    return { kind: 'done', summary: { revision: deployment.revision, previous: deployment.previousRevision, digest: artifact.digest, ...image, url }, message: `r${deployment.revision} serving at ${url}` };
  }

}

const mainShare = (weights: Readonly<Record<string, number>>, revision: number): number => weights[String(revision)] ?? 0;
