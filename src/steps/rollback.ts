import { specOf } from '../engine/step-specs/index.js';
import type { StepContext, StepHandler, StepOutcome } from '../engine/step-handler.js';
import { DeploymentState, type Deployment } from '../domain/deployment.js';
import { Goal, reconcilePass, strategyFor } from '../strategies/index.js';
import { deploymentRecord } from './support/deployment-record.js';
import { failedWave, placeLabel } from './support/failed-wave.js';
import { strategyContext, type DeployDeps } from './support/strategy-context.js';

/**
 * Runs only when a step of the environment's deployment failed: puts every service this run touched
 * back on its previous revision (still running, per invariant 3) and stops the new one, so the
 * environment never ends half on the new release. Records why, for notifications. An environment
 * with regions and `onFailure: stop` rolls back only the failed wave's regions; the earlier waves,
 * verified and watched, keep the new release and are finished here (their previous revisions retire).
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
    const wave = spec.regions?.onFailure === 'stop' ? failedWave(steps, spec.regions.waves) : undefined;
    const kept = wave === undefined ? new Set<string>() : new Set(spec.regions?.waves.slice(0, wave).flat() ?? []);
    const back = deployments.filter((d) => !kept.has(d.region));
    // Those an earlier pass of this step already rolled back (it then waited for another's previous revision).
    const rolledBack: string[] = back.filter((d) => d.state === DeploymentState.RolledBack && d.reason === reason).map(placeLabel).reverse();
    // Last switched first: the reverse of the order they went out in.
    for (const d of [...back].reverse()) {
      if (d.state !== DeploymentState.Pending && d.state !== DeploymentState.Switched) continue;
      const deploySpec = await deploymentRecord(store, d);
      if (!deploySpec) continue;
      const sctx = await strategyContext(this.deps, ctx, d, deploySpec);
      // One pass when the previous revision is ready (bench/rollback.ts); a previous revision still starting is waited for in the executor.
      const pass = await reconcilePass(strategyFor(deploySpec.strategy), Goal.Rollback, sctx, d.progress, { reason, save: (progress) => store.deployments.setProgress(d.id, progress) });
      if (pass.wait !== undefined) return { kind: 'wait', message: `rolling back ${placeLabel(d)}: waiting for r${d.previousRevision ?? '?'} to be ready`, retryInMs: pass.wait };
      const state = d.previousRevision === null ? DeploymentState.Failed : DeploymentState.RolledBack;
      await store.deployments.setState(d.id, state, ctx.clock.now(), reason);
      await store.events.append('deployment.rolled-back', 'gantry', ctx.run.id, { environment: d.environment, service: d.service, ...(d.region ? { region: d.region } : {}), revision: d.revision, restored: d.previousRevision, release: d.release, reason }, ctx.clock.now());
      ctx.log.info(`${placeLabel(d)}: ${d.previousRevision === null ? `r${d.revision} stopped (there was no earlier revision)` : `traffic back on r${d.previousRevision}, r${d.revision} stopped`}`);
      rolledBack.push(placeLabel(d));
    }
    const keep = deployments.filter((d) => kept.has(d.region));
    if (keep.length > 0) {
      const waiting = await this.finishKept(ctx, keep);
      if (waiting !== undefined) return { kind: 'wait', message: `retiring the previous revisions of the regions that keep the new release (${waiting.count} waiting)`, retryInMs: waiting.retryInMs };
      const stopped = `stopped after wave ${(wave ?? 0) + 1} failed: ${describe(keep, 'run the new release', (d) => d.revision)}; ${describe(back, 'back on the previous release', (d) => d.previousRevision)}`;
      ctx.log.info(stopped);
      return { kind: 'done', summary: { rolledBack, kept: keep.map((d) => ({ service: d.service, region: d.region, revision: d.revision })), reason }, message: `${stopped}: ${reason}` };
    }
    if (rolledBack.length === 0) ctx.log.info('no service had been changed: nothing to roll back');
    return { kind: 'done', summary: { rolledBack, reason }, message: rolledBack.length ? `rolled back ${rolledBack.join(', ')}: ${reason}` : 'nothing to roll back' };
  }

  /** The regions of finished waves under `onFailure: stop`: as finalize would, their previous revisions retire and their deployments succeed. */
  private async finishKept(ctx: StepContext, keep: readonly Deployment[]): Promise<{ count: number; retryInMs: number } | undefined> {
    const { store } = this.deps;
    const waits: number[] = [];
    for (const d of keep) {
      if (d.state !== DeploymentState.Switched) continue;
      const record = await deploymentRecord(store, d);
      if (!record) continue;
      const sctx = await strategyContext(this.deps, ctx, d, record);
      const pass = await reconcilePass(strategyFor(record.strategy), Goal.Retire, sctx, d.progress, { save: (progress) => store.deployments.setProgress(d.id, progress) });
      if (pass.wait !== undefined) {
        waits.push(pass.wait);
        continue;
      }
      await store.deployments.setState(d.id, DeploymentState.Succeeded, ctx.clock.now());
      await store.events.append('deployment.succeeded', ctx.run.triggeredBy, ctx.run.id, { environment: d.environment, service: d.service, region: d.region, revision: d.revision, release: d.release, digest: d.digest }, ctx.clock.now());
      ctx.log.info(`${placeLabel(d)}: r${d.revision} stays live (its wave passed); r${d.previousRevision ?? '-'} retired`);
    }
    return waits.length > 0 ? { count: waits.length, retryInMs: Math.min(...waits) } : undefined;
  }
}

/** `us-east-1 (api r3), eu-west-1 (api r3) run the new release`, or `none …` when the list is empty. */
function describe(deployments: readonly Deployment[], what: string, revision: (d: Deployment) => number | null): string {
  const byRegion = new Map<string, string[]>();
  for (const d of deployments) byRegion.set(d.region, [...(byRegion.get(d.region) ?? []), `${d.service} ${revision(d) === null ? 'stopped' : `r${revision(d) ?? ''}`}`]);
  if (byRegion.size === 0) return `no region ${what}`;
  return `${[...byRegion].map(([region, list]) => `${region} (${list.join(', ')})`).join(', ')} ${what}`;
}
