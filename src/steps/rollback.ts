import { specOf } from '../engine/step-specs/index.js';
import type { StepContext, StepHandler, StepOutcome } from '../engine/step-handler.js';
import { DeploymentState } from '../domain/deployment.js';
import { Goal, reconcilePass, strategyFor } from '../strategies/index.js';
import { deploymentRecord } from './support/deployment-record.js';
import { strategyContext, type DeployDeps } from './support/strategy-context.js';

/**
 * Runs only when a step of the environment's deployment failed: puts every service this run touched
 * back on its previous revision (still running, per invariant 3) and stops the new one, so the
 * environment never ends half on the new release. Records why, for notifications.
 */
export class RollbackStep implements StepHandler {
  readonly kind = 'rollback';

  constructor(private readonly deps: DeployDeps) {}

  async run(ctx: StepContext): Promise<StepOutcome> {
    const spec = specOf(ctx, 'rollback');
    const { store } = this.deps;
    const steps = await store.steps.forRun(ctx.run.id);
    const failed = steps.find((s) => (s.state === 'failed' || s.state === 'cancelled') && s.key !== ctx.step.key);
    const reason = failed ? `${failed.name}: ${failed.error?.message ?? failed.state}` : 'the run was cancelled';
    const deployments = (await store.deployments.allForRun(ctx.run.id)).filter((d) => d.environment === spec.environment);
    // Those an earlier pass of this step already rolled back (it then waited for another's previous revision).
    const rolledBack: string[] = deployments.filter((d) => d.state === DeploymentState.RolledBack && d.reason === reason).map((d) => d.service).reverse();
    // Last switched first: the reverse of the order they went out in.
    for (const d of [...deployments].reverse()) {
      if (d.state !== DeploymentState.Pending && d.state !== DeploymentState.Switched) continue;
      const deploySpec = await deploymentRecord(store, d);
      if (!deploySpec) continue;
      const sctx = await strategyContext(this.deps, ctx, d, deploySpec);
      // One pass when the previous revision is ready (bench/rollback.ts); a previous revision still starting is waited for in the executor.
      const pass = await reconcilePass(strategyFor(deploySpec.strategy), Goal.Rollback, sctx, d.progress, { reason, save: (progress) => store.deployments.setProgress(d.id, progress) });
      if (pass.wait !== undefined) return { kind: 'wait', message: `rolling back ${d.service}: waiting for r${d.previousRevision ?? '?'} to be ready`, retryInMs: pass.wait };
      const state = d.previousRevision === null ? DeploymentState.Failed : DeploymentState.RolledBack;
      await store.deployments.setState(d.id, state, ctx.clock.now(), reason);
      await store.events.append('deployment.rolled-back', 'gantry', ctx.run.id, { environment: d.environment, service: d.service, revision: d.revision, restored: d.previousRevision, release: d.release, reason }, ctx.clock.now());
      ctx.log.info(`${d.service}: ${d.previousRevision === null ? `r${d.revision} stopped (there was no earlier revision)` : `traffic back on r${d.previousRevision}, r${d.revision} stopped`}`);
      rolledBack.push(d.service);
    }
    if (rolledBack.length === 0) ctx.log.info('no service had been changed: nothing to roll back');
    return { kind: 'done', summary: { rolledBack, reason }, message: rolledBack.length ? `rolled back ${rolledBack.join(', ')}: ${reason}` : 'nothing to roll back' };
  }
}
