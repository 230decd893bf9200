import type { StrategyConfig } from '../../config/types.js';
import { deployKey } from '../../engine/step-keys.js';
import { parseStepSpec, type DeployStepSpec } from '../../engine/step-specs/index.js';
import type { DeployedSpec, Deployment } from '../../domain/deployment.js';
import type { Store } from '../../store/store.js';

/** What a deployment runs and how it goes out: read from its record, never from today's gantry.yaml. */
export interface DeploymentRecord {
  readonly spec: DeployedSpec;
  readonly strategy: StrategyConfig;
  readonly target: string;
}

/**
 * The record a deploy step writes: the step's own spec, or (a rollback or a restore) a copy of the
 * record of the deployment gone back to. A source written before deployments recorded their spec
 * has nothing to copy: the step's spec (today's config, as the planner made it) is used, as it was
 * before records existed.
 */
export async function recordToWrite(store: Store, step: DeployStepSpec): Promise<DeploymentRecord> {
  const source = step.pinnedArtifact?.sourceDeployment;
  const from = source === undefined ? undefined : await store.deployments.get(source);
  const record = from?.spec && from.strategy && from.target !== null ? { spec: from.spec, strategy: from.strategy, target: from.target } : fromStepSpec(step);
  return step.pinnedArtifact ? { ...record, strategy: straightBack(record.strategy) } : record;
}

/**
 * A rollback (or a restore) goes back to a revision that already served everyone: a canary's steps
 * are for new releases, and a rollback that paused for a promotion would keep users on the release
 * being rolled back. It takes all traffic once ready, in one switch, like blue-green's.
 */
function straightBack(strategy: StrategyConfig): StrategyConfig {
  return strategy.kind === 'canary' ? { ...strategy, steps: [], match: undefined } : strategy;
}

/**
 * What a deployment runs. Rows written before migration 009 recorded nothing: for those (only),
 * the deploy step of the run that made them is read as before. Undefined when neither exists.
 */
export async function deploymentRecord(store: Store, d: Deployment): Promise<DeploymentRecord | undefined> {
  if (d.spec && d.strategy && d.target !== null) return { spec: d.spec, strategy: d.strategy, target: d.target };
  if (d.runId === null) return undefined;
  // Fallback for older rows; the key is the one the planner gave deploy steps then.
  const step = (await store.steps.forRun(d.runId)).find((s) => s.kind === 'deploy' && s.key === deployKey(d.environment, d.service));
  return step && fromStepSpec(parseStepSpec('deploy', step.key, step.spec));
}

function fromStepSpec(s: DeployStepSpec): DeploymentRecord {
  return {
    spec: { command: s.command, env: s.env, secrets: s.secrets, replicas: s.replicas, health: s.health, smoke: s.smoke, ...(s.limits ? { limits: s.limits } : {}) },
    strategy: s.strategy,
    target: s.target,
  };
}
