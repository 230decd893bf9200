import type { NOTIFY_EVENTS } from '../config/schema.js';

/** The event names gantry.yaml routes by. */
export type NotifyEvent = (typeof NOTIFY_EVENTS)[number];

/** How a message looks: Slack's colour, the webhook's `outcome`. */
export const Outcome = {
  Success: 'success',
  /** A failed run or deployment. */
  Failure: 'failure',
  /** A rollback outside production: the previous revision serves again. */
  RolledBack: 'rolled-back',
  /** A production emergency rollback: an incident is opened. */
  Critical: 'critical',
  Info: 'info',
} as const;
export type Outcome = (typeof Outcome)[keyof typeof Outcome];

export interface TestTotals {
  readonly total: number;
  readonly passed: number;
  readonly failed: number;
  readonly skipped: number;
}

export interface ScanTotals {
  readonly critical: number;
  readonly high: number;
  readonly medium: number;
  readonly low: number;
}

export interface LoadFigures {
  readonly service: string;
  readonly rps: number;
  readonly p99Ms: number;
  readonly errorRate: number;
}

/** Gate and test results of the run, when its steps reported any. */
export interface RunResults {
  readonly tests?: TestTotals;
  readonly coverage?: ReadonlyArray<{ readonly service: string; readonly percent: number }>;
  readonly scans?: ScanTotals;
  readonly load?: readonly LoadFigures[];
}

/**
 * One message, before any channel renders it. It is redacted as a whole before it is stored, so
 * every adapter renders from text that holds no secret value.
 */
export interface Notification {
  readonly event: NotifyEvent;
  /** The Gantry event it comes from: `deployment.rolled-back`, `run.failed` … */
  readonly source: string;
  readonly outcome: Outcome;
  readonly title: string;
  /** One line of plain text: Slack's fallback, a mail subject. */
  readonly text: string;
  readonly project: string;
  readonly environment: string | null;
  readonly services: readonly string[];
  /** The release's full commit sha. */
  readonly release: string | null;
  readonly who: string | null;
  readonly durationMs: number | null;
  readonly runId: number | null;
  readonly runUrl: string | null;
  /** Epoch ms of the event. */
  readonly at: number;
  readonly reason: string | null;
  readonly results: RunResults;
  /** Set when this event opened an incident. */
  readonly incident: { readonly dedupKey: string; readonly severity: string } | null;
  /** The event's own fields, for receivers that want more than the summary. */
  readonly data: Readonly<Record<string, unknown>>;
}
