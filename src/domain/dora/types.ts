/**
 * The input and output of the DORA computation: plain data, no store or HTTP types, so the
 * formulas stay pure and the caller (a repository, a test, a bench) decides where records come from.
 */

/** The deployment states the formulas read; the store's `DeploymentState` values, restated so the domain imports nothing of ours. */
export type DoraDeploymentState = 'pending' | 'switched' | 'succeeded' | 'rolled-back' | 'failed';

/** One deployment of one service to one environment. Times are epoch milliseconds. */
export interface DoraDeployment {
  readonly service: string;
  readonly environment: string;
  /** Per environment and service, increasing: it orders a service's history and names rollback targets. */
  readonly revision: number;
  /** The release (commit sha) deployed: a redeploy of the same release is not a new change. */
  readonly release: string;
  readonly state: DoraDeploymentState;
  readonly createdAt: number;
  readonly finishedAt: number | null;
  /** When the change was committed: the start of its lead time. Unknown for releases made before it was recorded. */
  readonly commitTime: number | null;
  /** A manual rollback's reason starts with `rollback to r<N>`. */
  readonly reason: string | null;
  /** The branch or ref the run deployed, when known: `hotfix/*` marks a hotfix. */
  readonly ref: string | null;
  /** When the caller knows better than the ref (a label, a flag on the run), it says so here; it wins over the ref. */
  readonly hotfix?: boolean;
}

/**
 * One service's deployments in one environment, ordered by revision, with what the history says
 * about each one (flags by index, 1 or 0: a million deployments make no million small objects).
 */
export interface ServiceHistory {
  readonly service: string;
  readonly deployments: readonly DoraDeployment[];
  /** A deployment made to put an earlier revision back (`rollback to rN`). */
  readonly manualRollback: Uint8Array;
  readonly hotfix: Uint8Array;
  /** It needed remediation: it failed or was rolled back, a later manual rollback reverted it, or a hotfix followed it. */
  readonly failedChange: Uint8Array;
}

/**
 * One metric, computed in two halves so each service is read once: `tally` reads one service's
 * history, `summarize` turns the tallies of one service, or of all of them, into the figure.
 */
export interface DoraMetric<Tally, Figure> {
  tally(history: ServiceHistory, window: DoraWindow): Tally;
  summarize(tallies: readonly Tally[], window: DoraWindow): Figure;
}

/** [start, end] in epoch ms; a deployment belongs to the window when it was created inside it. */
export interface DoraWindow {
  readonly start: number;
  readonly end: number;
}

/**
 * Performance levels as dora.dev publishes them. `null` where the input gives no figure, and for
 * the metrics the reports give no levels for (rework rate, success rate).
 */
export type DoraBand = 'elite' | 'high' | 'medium' | 'low';

export interface DeploymentFrequency {
  /** Successful deployments in the window. */
  readonly count: number;
  readonly perDay: number | null;
  readonly perWeek: number | null;
  readonly perMonth: number | null;
  readonly band: DoraBand | null;
}

export interface LeadTime {
  readonly medianMs: number | null;
  readonly p90Ms: number | null;
  /** Changes measured: the first successful deployment of each release of each service, rollbacks excluded. */
  readonly samples: number;
  readonly band: DoraBand | null;
}

export interface RateMetric {
  readonly rate: number | null;
  /** The numerator: failed changes, unplanned deployments or successes, by metric. */
  readonly count: number;
  readonly total: number;
  readonly band: DoraBand | null;
}

export interface RecoveryTime {
  readonly medianMs: number | null;
  /** Failed deployments followed by a successful one. */
  readonly samples: number;
  /** Failed deployments with no successful deployment after them yet. */
  readonly unrecovered: number;
  readonly band: DoraBand | null;
}

export interface DoraMetrics {
  /** Deployments created in the window that have finished (in-flight ones have no outcome yet). */
  readonly deployments: number;
  readonly deploymentFrequency: DeploymentFrequency;
  readonly leadTime: LeadTime;
  readonly changeFailureRate: RateMetric;
  readonly recoveryTime: RecoveryTime;
  readonly reworkRate: RateMetric;
  readonly successRate: RateMetric;
}

export interface DoraReport {
  readonly environment: string;
  readonly window: DoraWindow;
  readonly overall: DoraMetrics;
  readonly services: Readonly<Record<string, DoraMetrics>>;
}
