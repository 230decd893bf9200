import type { StrategyConfig } from '../config/types.js';
import type { RevisionSpec, Target } from '../targets/target.js';

/**
 * A deployment strategy, written only against the Target contract. Every method is idempotent:
 * after a crash of the control plane the same call is made again and must reconcile what the
 * target already has (desired vs actual), never start a second copy or lose the previous revision.
 */
export interface StrategyContext {
  readonly target: Target;
  /** The new revision. */
  readonly spec: RevisionSpec;
  /** The revision that holds the main route's traffic before this deployment (undefined on a first deploy). It stays running until `retire`. */
  readonly previous: number | undefined;
  readonly config: StrategyConfig;
  /** How long a revision may take to become ready (the service's health deadline). */
  readonly readyDeadlineMs: number;
  readonly signal: AbortSignal;
  readonly log: (line: string) => void;
  readonly now: () => number;
  /** Waits without blocking the event loop; rejects when the signal aborts. Injected so tests do not sleep. */
  readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Checks run against the candidate before it gets user traffic; blue-green calls it with the preview route's URL. Throws to stop the rollout. */
  readonly preSwitchCheck: (url: string) => Promise<void>;
}

export interface Strategy {
  readonly kind: StrategyConfig['kind'];
  /** Brings the new revision up, waits until it is ready, and moves all main-route traffic to it. The previous revision keeps running. */
  rollout(ctx: StrategyContext): Promise<void>;
  /** After the deployment passed verification and the watch window: stops the previous revision (blue-green: after scaleDownDelay). */
  retire(ctx: StrategyContext): Promise<void>;
  /** Puts all main-route traffic back on the previous revision at once, then stops the new one. With no previous revision, removes the new one's traffic and stops it. */
  rollback(ctx: StrategyContext, reason: string): Promise<void>;
}
