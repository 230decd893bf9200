import type { OciLayout } from '../artifacts/oci-layout.js';
import { specOf } from '../engine/step-specs/index.js';
import type { StepContext, StepHandler, StepOutcome } from '../engine/step-handler.js';
import { DeploymentState } from '../domain/deployment.js';
import { Goal, reconcilePass, strategyFor } from '../strategies/index.js';
import { deploymentRecord } from './support/deployment-record.js';
import { placeLabel } from './support/failed-wave.js';
import { tagDeployedImage } from './support/image-tags.js';
import { strategyContext, type DeployDeps } from './support/strategy-context.js';

export interface FinalizeDeps extends DeployDeps {
  readonly layout: OciLayout;
  /** Tags the released commit in the repository (post-deploy tagging). */
  readonly tagCommit: (sha: string, tag: string, message: string) => Promise<void>;
}

/**
 * After verification and the watch window: the previous revisions retire, the deployments become the
 * live ones, the artifacts get their environment tags (immutable for production) and, where asked,
 * the commit gets a git tag.
 */
export class FinalizeStep implements StepHandler {
  readonly kind = 'finalize';

  constructor(private readonly deps: FinalizeDeps) {}

  async run(ctx: StepContext): Promise<StepOutcome> {
    const spec = specOf(ctx, 'finalize');
    const { store, layout } = this.deps;
    const deployments = (await store.deployments.allForRun(ctx.run.id)).filter((d) => d.environment === spec.environment);
    // Retire passes first (blue-green's scale-down delay is a stored wait); tags only once every previous revision is retired.
    const waits: number[] = [];
    for (const d of deployments) {
      const deploySpec = await deploymentRecord(store, d);
      if (!deploySpec || d.state !== DeploymentState.Switched) continue;
      const sctx = await strategyContext(this.deps, ctx, d, deploySpec);
      const pass = await reconcilePass(strategyFor(deploySpec.strategy), Goal.Retire, sctx, d.progress, { save: (progress) => store.deployments.setProgress(d.id, progress) });
      if (pass.wait !== undefined) {
        waits.push(pass.wait);
        continue;
      }
      await store.deployments.setState(d.id, DeploymentState.Succeeded, ctx.clock.now());
      await store.events.append('deployment.succeeded', ctx.run.triggeredBy, ctx.run.id, { environment: d.environment, service: d.service, ...(d.region ? { region: d.region } : {}), revision: d.revision, release: d.release, digest: d.digest }, ctx.clock.now());
    }
    if (waits.length > 0) return { kind: 'wait', message: `retiring the previous revisions of ${spec.environment} (${waits.length} waiting)`, retryInMs: Math.min(...waits) };
    for (const d of deployments) {
      const record = await deploymentRecord(store, d);
      if (!record) continue;
      await layout.tag(`${d.service}:${spec.environment}-latest`, d.digest);
      if (spec.immutableTags) await layout.tag(`${d.service}:${spec.environment}-r${d.revision}`, d.digest, { immutable: true });
      if (record.spec.image) await tagDeployedImage(store, this.deps.secrets, ctx, spec.environment, d.revision, record.spec.image, spec.immutableTags);
      ctx.log.info(`${placeLabel(d)}: r${d.revision} is live in ${spec.environment}${d.previousRevision === null ? '' : `; r${d.previousRevision} retired`}`);
    }
    if (spec.tag) {
      const tag = `deploy/${spec.environment}/${new Date(ctx.clock.now()).toISOString().replace(/[-:]/g, '').slice(0, 15)}-run${ctx.run.id}`;
      await this.deps.tagCommit(ctx.run.sha, tag, `Deployed to ${spec.environment} by run #${ctx.run.id}`);
      ctx.log.info(`tagged ${ctx.run.sha.slice(0, 7)} as ${tag}`);
    }
    return { kind: 'done', summary: { services: deployments.map((d) => ({ service: d.service, revision: d.revision, ...(d.region ? { region: d.region } : {}) })) }, message: `${deployments.length} service(s) live` };
  }
}
