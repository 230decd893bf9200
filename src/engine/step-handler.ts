import type { Run, Step } from '../domain/run.js';
import type { Clock } from '../kernel/clock.js';
import type { Logger } from '../kernel/logger.js';
import type { StepLog } from './step-log.js';

/**
 * Everything a step may use, passed to every step. Steps reach the outside world only through
 * what their handler was constructed with, so the engine stays free of step kinds.
 */
export interface StepContext {
  readonly run: Run;
  readonly step: Step;
  /** Aborted on cancel, timeout or a lost lease; `signal.reason` says which. */
  readonly signal: AbortSignal;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The step's own log: redacted, stored, streamed. */
  readonly log: StepLog;
  /** Records the process group a step started (null when it ended), so a crash leaves no orphan. */
  trackProcess(pid: number | null): Promise<void>;
}

export type StepOutcome =
  | {
      readonly kind: 'done';
      readonly summary?: Readonly<Record<string, unknown>>;
      readonly cached?: boolean;
      readonly message?: string;
      /** Skipped on purpose (e.g. nothing to do); not a failure. */
      readonly skipped?: boolean;
    }
  /** Not yet: give the step back and ask again after `retryInMs` (e.g. queued behind a lock). */
  | { readonly kind: 'wait'; readonly message: string; readonly retryInMs: number };

/** A step kind. `run` must be idempotent: after a crash it may run again from the start. */
export interface StepHandler {
  readonly kind: string;
  run(ctx: StepContext): Promise<StepOutcome>;
  /** Called once when a run finishes, whatever its result, to free what the steps made. */
  cleanup?(run: Run): Promise<void>;
}

export type StepHandlers = ReadonlyMap<string, StepHandler>;
