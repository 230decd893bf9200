/** The shapes of the public HTTP API the dashboard reads (docs/api.md). Times are ISO-8601 strings. */

export interface ApiProblem {
  readonly code: string;
  readonly message: string;
  readonly hint?: string;
}

export interface Whoami {
  readonly user: string | null;
  readonly email: string | null;
  readonly roles: readonly string[];
}

export interface Run {
  readonly id: number;
  readonly trigger: string;
  readonly branch: string | null;
  readonly ref: string;
  readonly sha: string;
  readonly environment: string | null;
  readonly state: string;
  readonly notes: readonly string[];
  readonly author: string | null;
  /** Every author of the commits the run brings in; none of them may approve it. */
  readonly authors: readonly string[];
  readonly triggeredBy: string;
  readonly commitMessage: string | null;
  readonly error: ApiProblem | null;
  readonly createdAt: string | null;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
  readonly durationMs: number | null;
}

export interface Step {
  readonly id: number;
  readonly key: string;
  readonly kind: string;
  readonly name: string;
  readonly service: string | null;
  readonly environment: string | null;
  readonly needs: readonly string[];
  readonly state: string;
  readonly message: string | null;
  readonly attempt: number;
  readonly maxAttempts: number;
  readonly cached: boolean;
  readonly summary: Readonly<Record<string, unknown>> | null;
  readonly error: (ApiProblem & { readonly logTail?: readonly string[] }) | null;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
  readonly durationMs: number | null;
}

export interface LogLine {
  readonly id: number;
  readonly step: string | null;
  readonly stream: string;
  readonly text: string;
  readonly at: string;
}

export interface Deployment {
  readonly id: number;
  readonly environment: string;
  readonly service: string;
  readonly revision: number;
  readonly previousRevision: number | null;
  readonly release: string;
  readonly digest: string;
  readonly strategy: string;
  readonly runId: number | null;
  readonly triggeredBy: string;
  readonly state: string;
  readonly reason: string | null;
  readonly createdAt: string;
  readonly finishedAt: string | null;
}

export interface Environment {
  readonly name: string;
  readonly branch: string;
  readonly strategy: string;
  readonly target: string;
  readonly requires: string | null;
  readonly approvals: number;
  readonly services: readonly { readonly service: string; readonly port: number | null; readonly live: Deployment | null }[];
  /** An environment with regions: each region's target and live revisions (`services[].live` is then null). */
  readonly regions?: readonly { readonly region: string; readonly target: string; readonly services: readonly { readonly service: string; readonly port: number | null; readonly live: Deployment | null }[] }[];
}

export interface RevisionStatus {
  readonly revision: number;
  readonly release: string;
  readonly digest: string;
  readonly phase: string;
  readonly restarts: number;
  readonly lastError: string | null;
}

export interface ServiceStatus {
  readonly service: string;
  readonly port: number;
  readonly previewPort?: number;
  readonly revisions: readonly RevisionStatus[];
  readonly weights: { readonly main: Readonly<Record<string, number>>; readonly preview: Readonly<Record<string, number>> };
}

export interface EnvironmentStatus {
  readonly environment: string;
  readonly reachable: boolean;
  readonly services: readonly ServiceStatus[];
  /** An environment with regions: what each region's target runs. */
  readonly regions?: readonly { readonly region: string; readonly target: string; readonly reachable: boolean; readonly services: readonly ServiceStatus[] }[];
}

export interface PendingApproval {
  readonly run: Run;
  readonly environment: string;
  readonly kind: 'deploy' | 'analysis';
  readonly required: number;
  readonly confirmation: string | null;
  readonly approvedBy: readonly string[];
  readonly message: string | null;
  readonly you: { readonly user: string; readonly mayDecide: boolean; readonly reason: string | null };
}

export interface Backup {
  readonly id: number;
  readonly environment: string;
  readonly runId: number | null;
  readonly reason: string;
  readonly services: readonly { readonly service: string; readonly revision: number; readonly release: string; readonly digest: string }[];
  readonly createdAt: string;
  readonly expiresAt: string;
}

export type DoraBand = 'elite' | 'high' | 'medium' | 'low';

export interface DoraMetrics {
  readonly deployments: number;
  readonly deploymentFrequency: { readonly count: number; readonly perDay: number | null; readonly band: DoraBand | null };
  readonly leadTime: { readonly medianMs: number | null; readonly p90Ms: number | null; readonly samples: number; readonly band: DoraBand | null };
  readonly changeFailureRate: { readonly rate: number | null; readonly count: number; readonly total: number; readonly band: DoraBand | null };
  readonly recoveryTime: { readonly medianMs: number | null; readonly samples: number; readonly unrecovered: number; readonly band: DoraBand | null };
}

export interface DoraPoint {
  readonly start: string;
  readonly deployments: number;
  readonly leadTimeMedianMs: number | null;
  readonly changeFailureRate: number | null;
  readonly failedChanges: number;
  readonly recoveryMedianMs: number | null;
}

export interface DoraReport {
  readonly window: string;
  readonly environment: string;
  readonly from: string;
  readonly to: string;
  readonly overall: DoraMetrics;
  readonly services: Readonly<Record<string, DoraMetrics>>;
  readonly series?: readonly DoraPoint[];
}

export interface AuditEvent {
  readonly id: number;
  readonly at: string;
  readonly kind: string;
  readonly actor: string;
  readonly runId: number | null;
  readonly data: unknown;
  readonly hash: string;
}

export type AuditVerification = { readonly ok: true; readonly rows: number } | { readonly ok: false; readonly rows: number; readonly brokenAt: number; readonly reason: string };

/** GET /api/v1/agents: each local target's agent as the server's agent watch last saw it. */
export interface AgentView {
  readonly target: string;
  readonly environments: readonly string[];
  /** healthy, starting, unresponsive, down, stopped or never-started. */
  readonly state: string;
  readonly pid: number | null;
  readonly workerPid: number | null;
  readonly startedAt: string | null;
  readonly workerRestarts: number | null;
  readonly checkedAt: string | null;
  readonly error: string | null;
  readonly lastRestart: { readonly at: string; readonly cause: string; readonly scope: string; readonly pid: number | null } | null;
}
