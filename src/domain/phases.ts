/** Run and step phases. `as const` objects plus unions and predicates, never enums. */

export const RunState = {
  Queued: 'queued',
  Running: 'running',
  Succeeded: 'succeeded',
  Failed: 'failed',
  Cancelled: 'cancelled',
} as const;
export type RunState = (typeof RunState)[keyof typeof RunState];

export const StepState = {
  Pending: 'pending',
  /** Ready but held back, e.g. queued behind another run's environment lock. */
  Waiting: 'waiting',
  Running: 'running',
  Succeeded: 'succeeded',
  Failed: 'failed',
  /** Not run because a step it needs did not succeed, or because the plan says so. */
  Skipped: 'skipped',
  Cancelled: 'cancelled',
} as const;
export type StepState = (typeof StepState)[keyof typeof StepState];

const TERMINAL_RUN: ReadonlySet<string> = new Set([RunState.Succeeded, RunState.Failed, RunState.Cancelled]);
const TERMINAL_STEP: ReadonlySet<string> = new Set([StepState.Succeeded, StepState.Failed, StepState.Skipped, StepState.Cancelled]);

export const isTerminalRun = (state: string): boolean => TERMINAL_RUN.has(state);
export const isTerminalStep = (state: string): boolean => TERMINAL_STEP.has(state);

/** `pull_request`: CI of a GitHub pull request's head (from its webhook); it never deploys. */
export const TriggerKind = { Push: 'push', Dispatch: 'dispatch', Rollback: 'rollback', PullRequest: 'pull_request' } as const;
export type TriggerKind = (typeof TriggerKind)[keyof typeof TriggerKind];
