import type { RunState, StepState, TriggerKind } from './phases.js';

/** A run as the engine and API see it (times in epoch ms). */
export interface Run {
  readonly id: number;
  readonly trigger: TriggerKind;
  readonly branch: string | null;
  readonly ref: string;
  readonly sha: string;
  readonly baseSha: string | null;
  readonly environment: string | null;
  readonly state: RunState;
  readonly notes: readonly string[];
  readonly author: string | null;
  /** Every author of the commits the run brings in (base..sha), the head's author included. */
  readonly authors: readonly string[];
  readonly triggeredBy: string;
  readonly commitMessage: string | null;
  readonly commitTime: number | null;
  readonly error: StepError | null;
  readonly cancelRequested: boolean;
  readonly createdAt: number;
  readonly startedAt: number | null;
  readonly finishedAt: number | null;
}

export interface StepError {
  readonly code: string;
  readonly message: string;
  readonly hint?: string;
  /** The last lines of the step's log, for a failure people can act on without opening it. */
  readonly logTail?: readonly string[];
  readonly exitCode?: number;
}

export interface Step {
  readonly id: number;
  readonly runId: number;
  readonly key: string;
  readonly kind: string;
  readonly name: string;
  readonly service: string | null;
  readonly environment: string | null;
  readonly needs: readonly string[];
  readonly when: StepWhen;
  readonly spec: Readonly<Record<string, unknown>>;
  readonly position: number;
  readonly state: StepState;
  readonly message: string | null;
  readonly attempt: number;
  readonly maxAttempts: number;
  readonly notBefore: number;
  readonly leaseOwner: string | null;
  readonly leaseExpiresAt: number | null;
  readonly pid: number | null;
  /** The machine (its hostname) that `pid` lives on; null when none was recorded. Only there can it be stopped. */
  readonly processHost: string | null;
  readonly cached: boolean;
  readonly summary: Readonly<Record<string, unknown>> | null;
  readonly error: StepError | null;
  readonly startedAt: number | null;
  readonly finishedAt: number | null;
}

/** `success` runs when all needs succeeded; `failure` runs only when one of them failed or was cancelled (clean-up, rollback). */
export type StepWhen = 'success' | 'failure';

/** A step as the planner emits it, before it is persisted. */
export interface PlannedStep {
  readonly key: string;
  readonly kind: string;
  readonly name: string;
  readonly service?: string;
  readonly environment?: string;
  readonly needs: readonly string[];
  readonly when?: StepWhen;
  readonly spec: Readonly<Record<string, unknown>>;
  readonly maxAttempts: number;
}

export interface Plan {
  readonly steps: readonly PlannedStep[];
  readonly notes: readonly string[];
}

/** A run's page on the dashboard, which routes by the URL's fragment (the server serves no `/runs/<id>` path). */
export const runPageUrl = (publicUrl: string, runId: number): string => `${publicUrl.replace(/\/+$/, '')}/#/runs/${runId}`;
