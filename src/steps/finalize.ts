import type { OciLayout } from '../artifacts/oci-layout.js';
import type { FinalizeStepSpec } from '../engine/deploy-plan.js';
import type { StepContext, StepHandler, StepOutcome } from '../engine/step-handler.js';
import { DeploymentState } from '../domain/deployment.js';
import { strategyFor } from '../strategies/index.js';
import { deploymentRecord } from './support/deployment-record.js';
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
    const spec = ctx.step.spec as FinalizeStepSpec;
    const { store, layout } = this.deps;
    const deployments = (await store.deployments.allForRun(ctx.run.id)).filter((d) => d.environment === spec.environment);
    for (const d of deployments) {
      const deploySpec = await deploymentRecord(store, d);
      if (!deploySpec) continue;
      if (d.state === DeploymentState.Switched) {
        const sctx = await strategyContext(this.deps, ctx, d, deploySpec);
        await strategyFor(deploySpec.strategy).retire(sctx);
        await store.deployments.setState(d.id, DeploymentState.Succeeded, ctx.clock.now());
        await store.events.append('deployment.succeeded', ctx.run.triggeredBy, ctx.run.id, { environment: d.environment, service: d.service, revision: d.revision, release: d.release, digest: d.digest }, ctx.clock.now());
      }
      await layout.tag(`${d.service}:${spec.environment}-latest`, d.digest);
      if (spec.immutableTags) await layout.tag(`${d.service}:${spec.environment}-r${d.revision}`, d.digest, { immutable: true });
      ctx.log.info(`${d.service}: r${d.revision} is live in ${spec.environment}${d.previousRevision === null ? '' : `; r${d.previousRevision} retired`}`);
    }
    if (spec.tag) {
      const tag = `deploy/${spec.environment}/${new Date(ctx.clock.now()).toISOString().replace(/[-:]/g, '').slice(0, 15)}-run${ctx.run.id}`;
      await this.deps.tagCommit(ctx.run.sha, tag, `Deployed to ${spec.environment} by run #${ctx.run.id}`);
      ctx.log.info(`tagged ${ctx.run.sha.slice(0, 7)} as ${tag}`);
    }
    return { kind: 'done', summary: { services: deployments.map((d) => ({ service: d.service, revision: d.revision })) }, message: `${deployments.length} service(s) live` };
  }
}
