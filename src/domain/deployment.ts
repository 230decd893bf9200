import type { HealthConfig, SmokeConfig, StrategyConfig } from './rollout-config.js';

/**
 * A deployment: one revision of one service going out to one environment. It is the durable unit
 * every later step reads — finalize, rollback, a manual rollback to it, a backup and its restore, a
 * control plane restarted in the middle of the rollout — so it records everything the revision ran
 * with, never to be rebuilt from today's gantry.yaml.
 */
export const DeploymentState = {
  Pending: 'pending',
  /** Traffic moved to the new revision; the previous one still runs. */
  Switched: 'switched',
  Succeeded: 'succeeded',
  RolledBack: 'rolled-back',
  Failed: 'failed',
} as const;
export type DeploymentState = (typeof DeploymentState)[keyof typeof DeploymentState];

/** What the revision runs, as it was when the deployment was created. Secret values are never recorded: only their names. */
export interface DeployedSpec {
  readonly command: string;
  /** The configured env, without any secret value. */
  readonly env: Readonly<Record<string, string>>;
  /** Names of the environment's secrets the revision gets; their values are read from the secret store at each start. */
  readonly secrets: readonly string[];
  readonly replicas: number;
  readonly health: HealthConfig;
  /** The checks run against the candidate before it takes users (blue-green's pre-switch checks). */
  readonly smoke: readonly SmokeConfig[];
  /** The image the revision runs, for targets that run images (absent: the bundle). A rollback pulls the very same digest. */
  readonly image?: DeployedImage;
  /** Resource limits of each replica, for targets that enforce them. */
  readonly limits?: { readonly cpus?: number; readonly memoryBytes?: number };
}

/** An image by digest in the registry an environment pulls from, with the account's names (never its password). */
export interface DeployedImage {
  /** host[:port] of the registry, as the reference names it. */
  readonly registryUrl: string;
  /** The registry's name in gantry.yaml, for messages and the account. */
  readonly registry: string;
  readonly plainHttp: boolean;
  readonly username: string | null;
  /** Read in the environment's scope at each start, like the revision's own secrets. */
  readonly passwordSecret: string | null;
  readonly repository: string;
  readonly digest: string;
}

/** Where a rollout stands, stored after every pass of the strategy so a restarted control plane carries on from it. */
export interface RolloutProgress {
  /** The strategy's own phase name (e.g. `starting`, `shifting`, `preview-checks`, `switched`, `scaling-down`). */
  readonly phase: string;
  /** Index of the next step of the strategy's plan (rolling: the batch; later canary: the canary step). */
  readonly stepIndex: number;
  /** The main route's weights as last set: revision → 0–100. */
  readonly weights: Readonly<Record<string, number>>;
  /** When the current phase or pause began (epoch ms), so a wait resumes for only what is left of it. */
  readonly since: number;
  /**
   * Added for issue 11 item 2: the watch window's and its analyses' progress (time watched so far,
   * counter baselines at the window's start, measurements taken), so a restarted control plane
   * carries on instead of watching again from zero. Its shape is owned by steps/watch-state.ts.
   */
  readonly watch?: Readonly<Record<string, unknown>>;
  /** A canary's analysis step under way: its measurements so far. Its shape is owned by steps/support/canary-analysis.ts. */
  readonly analysis?: Readonly<Record<string, unknown>>;
}

export interface Deployment {
  readonly id: number;
  readonly environment: string;
  readonly service: string;
  readonly releaseId: number;
  /** The commit the artifact was built from. */
  readonly release: string;
  readonly digest: string;
  readonly revision: number;
  readonly previousRevision: number | null;
  /** The strategy kind, kept as its own column for history and DORA queries; `strategy` holds the whole config. */
  readonly strategyKind: string;
  /** The strategy config in force when the deployment was created; null only for rows written before it was recorded. */
  readonly strategy: StrategyConfig | null;
  /** The target the revision runs on. */
  readonly target: string | null;
  /** The environment's region it went out to; '' for an environment without regions. */
  readonly region: string;
  /** What the revision runs; null only for rows written before it was recorded. */
  readonly spec: DeployedSpec | null;
  readonly progress: RolloutProgress | null;
  readonly runId: number | null;
  readonly triggeredBy: string;
  readonly state: DeploymentState;
  readonly reason: string | null;
  readonly createdAt: number;
  readonly finishedAt: number | null;
}

export const isFinished = (state: DeploymentState): boolean => state === DeploymentState.Succeeded || state === DeploymentState.RolledBack || state === DeploymentState.Failed;
