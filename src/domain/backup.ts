import type { DeployedSpec } from './deployment.js';
import type { StrategyConfig } from './rollout-config.js';

/** What an environment ran when the backup was taken, service by service: enough to restore it exactly. */
export interface BackupEntry {
  readonly service: string;
  readonly revision: number;
  readonly release: string;
  readonly releaseId: number;
  readonly digest: string;
  /** Main-route weights as the target reported them. */
  readonly weights: Readonly<Record<string, number>>;
  /** The run configuration of that revision, without secret values (those stay in the secret store). */
  readonly config: { readonly command: string; readonly env: Readonly<Record<string, string>>; readonly replicas: number; readonly secrets: readonly string[] } | null;
  /** The live deployment backed up; a restore deploys what it recorded. Absent in backups taken before deployments recorded their spec. */
  readonly deploymentId?: number;
  /** Its recorded spec, strategy and target (no secret values), as they were when the backup was taken. */
  readonly spec?: DeployedSpec;
  readonly strategy?: StrategyConfig;
  readonly target?: string;
}

/**
 * Every object the environment's target managed when the backup was taken, as the target's own
 * manifests (a Kubernetes target: a multi-document YAML stream; Secrets by name and version only).
 * The same shape as the target contract's ManagedResources, which a restore applies again.
 */
export interface BackupResources {
  readonly format: 'kubernetes-yaml';
  readonly yaml: string;
  /** kind/name of each object. */
  readonly objects: readonly string[];
}

export interface Backup {
  readonly id: number;
  readonly environment: string;
  readonly runId: number | null;
  readonly reason: string;
  readonly services: readonly BackupEntry[];
  readonly createdAt: number;
  readonly expiresAt: number;
  /** Absent: the target keeps no objects of its own (local, docker), or the backup predates them. */
  readonly resources?: BackupResources;
}
