import { CANARY_ROLLOUT_PHASES, CanaryPhase, type CanaryDecision } from '../domain/canary.js';
import { isFinished, type Deployment } from '../domain/deployment.js';
import type { Principal } from '../domain/roles.js';
import type { Run } from '../domain/run.js';
import { GantryError } from '../errors/index.js';
import type { Clock } from '../kernel/clock.js';
import type { Store } from '../store/store.js';

export interface CanaryDecisionOutcome {
  /** The canaries the decision applies to, one per service of the run in its canary. */
  readonly deployments: ReadonlyArray<Pick<Deployment, 'environment' | 'service' | 'revision'>>;
}

/**
 * Records a person's call on a run's running canary (`gantry promote`, `gantry abort`): the deploy
 * step reads it on its next pass (the caller wakes it at once), and the audit log keeps who decided
 * what. Promote ends a pause; a promotion made while no canary is paused would be lost, so it is refused.
 */
export async function recordCanaryDecision(store: Store, clock: Clock, run: Run, by: Principal, decision: CanaryDecision, comment: string | undefined): Promise<CanaryDecisionOutcome> {
  const running = (await store.deployments.allForRun(run.id)).filter((d) => d.strategy?.kind === 'canary' && !isFinished(d.state) && d.progress !== null && CANARY_ROLLOUT_PHASES.includes(d.progress.phase));
  if (running.length === 0) {
    throw new GantryError('CANARY_NOT_ACTIVE', `run #${run.id} has no canary in progress`, { hint: 'Only a run whose canary is between its first and last step can be promoted or aborted; after it took all traffic, use `gantry rollback <env>`.' });
  }
  const paused = running.filter((d) => d.progress?.phase === CanaryPhase.Paused);
  if (decision === 'promote' && paused.length === 0) {
    const where = running.map((d) => `${d.service} r${d.revision} is ${d.progress?.phase ?? 'starting'} at step ${(d.progress?.stepIndex ?? 0) + 1}`).join('; ');
    throw new GantryError('CANARY_NOT_PAUSED', `run #${run.id}'s canary is not paused (${where})`, { hint: 'Promote once it shows paused; to stop it, use `gantry abort`.' });
  }
  const environment = running[0]?.environment ?? run.environment ?? '';
  const now = clock.now();
  await store.approvals.add({ runId: run.id, environment, kind: decision, user: by.user, decision: decision === 'promote' ? 'approved' : 'rejected', comment: comment ?? null, createdAt: now });
  const affected = decision === 'promote' ? paused : running;
  await store.events.append(decision === 'promote' ? 'canary.promoted' : 'canary.aborted', by.user, run.id, { environment, services: affected.map((d) => ({ service: d.service, revision: d.revision, step: (d.progress?.stepIndex ?? 0) + 1 })), comment: comment ?? null }, now);
  // The deploy step is waiting in the executor (a pause's poll, the next measurement): make it due now.
  await store.steps.dueNow(run.id, 'deploy', now);
  return { deployments: affected.map((d) => ({ environment: d.environment, service: d.service, revision: d.revision })) };
}
