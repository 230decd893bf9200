import type { EnvironmentConfig, GantryConfig } from '../config/types.js';
import type { Deployment } from '../domain/deployment.js';
import type { Plan } from '../domain/run.js';
import { lockStep, rolloutSteps } from './deploy-plan.js';
import { copyRecordedSpecs } from './recorded-rollback.js';

export interface RollbackTarget {
  readonly service: string;
  readonly revision: number;
  readonly release: string;
  readonly releaseId: number;
  readonly digest: string;
  /** The deployment gone back to: the new revision runs what it recorded, not today's gantry.yaml (absent: no such row is known). */
  readonly source?: Pick<Deployment, 'id' | 'spec' | 'strategy' | 'target'>;
}

/** What `previousRevision` needs of a deployment. */
export interface RevisionFacts {
  readonly revision: number;
  readonly state: string;
}

/**
 * The revision `gantry rollback` goes back to: the newest successful one before the live one, as
 * `kubectl argo rollouts undo` and `kamal rollback` go to the previous version. Two revisions of the
 * same build (a redeploy, a dispatch of the same commit) are still distinct revisions: rolling back
 * to one of them is valid, and more useful than saying there is nothing to roll back to.
 */
export function previousRevision<T extends RevisionFacts>(history: readonly T[], live: RevisionFacts | undefined): T | undefined {
  return [...history]
    .filter((d) => d.state === 'succeeded' && (live === undefined || d.revision < live.revision))
    .sort((a, b) => b.revision - a.revision)[0];
}

export interface RollbackPlanInput {
  readonly config: GantryConfig;
  readonly environment: EnvironmentConfig;
  readonly targets: readonly RollbackTarget[];
  readonly reason: string;
}

/**
 * A manual rollback is a deployment of earlier artifacts: each service gets a new revision running
 * the chosen one's digest, command, env, health checks and strategy as that revision recorded them,
 * so history reads as what happened ("r9: rollback to r7's release") and the same safety applies as
 * on the way forward. The environment's current config supplies only the run's shape (steps, order).
 */
export function planRollback(input: RollbackPlanInput): Plan {
  const env = input.environment;
  const pinned = Object.fromEntries(
    input.targets.map((t) => [t.service, { release: t.release, releaseId: t.releaseId, digest: t.digest, reason: `rollback to r${t.revision}: ${input.reason}`, ...(t.source ? { sourceDeployment: t.source.id } : {}) }]),
  );
  const lock = lockStep(env.name, [], 3_600_000);
  const steps = copyRecordedSpecs(rolloutSteps(input.config, env, input.targets.map((t) => t.service), lock.key, [{ kind: 'health' }], pinned, false), input.targets);
  const notes = [`Rollback of ${env.name}: ${input.targets.map((t) => `${t.service} → r${t.revision} (${t.release.slice(0, 7)})`).join(', ')}. Reason: ${input.reason}`];
  return { steps: [lock, ...steps], notes };
}
