import type { StrategyConfig } from '../domain/rollout-config.js';
import type { RevisionSpec, Target } from '../targets/target.js';
import type { ReconcileInput, ReconcileResult } from './reconcile.js';

/**
 * What a pass of a strategy needs to act on the target: the deployment's new revision, the one it
 * replaces, and the I/O the caller provides (log, clock, the pre-switch checks).
 */
export interface StrategyContext {
  readonly target: Target;
  /** The new revision. */
  readonly spec: RevisionSpec;
  /** The revision that holds the main route's traffic before this deployment (undefined on a first deploy). It stays running until retire. */
  readonly previous: number | undefined;
  readonly config: StrategyConfig;
  /** How long a revision may take to become ready (the service's health deadline). */
  readonly readyDeadlineMs: number;
  readonly signal: AbortSignal;
  readonly log: (line: string) => void;
  readonly now: () => number;
  /** Waits without blocking the event loop; rejects when the signal aborts. Used only by `reconcileToEnd` (tests, in-process callers): steps return their waits to the executor instead. */
  readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Checks run against the candidate before it gets user traffic; blue-green calls it with the preview route's URL. Throws to stop the rollout. */
  readonly preSwitchCheck: (url: string) => Promise<void>;
}

/**
 * A deployment strategy, written only against the Target contract: a pure function from where the
 * deployment stands and what the target reports to the calls that move it on (reconcile.ts).
 * Every pass is idempotent: after a crash of the control plane the same pass runs again and
 * reconciles what the target already has, never starting a second copy or losing the previous revision.
 */
export interface Strategy {
  readonly kind: StrategyConfig['kind'];
  reconcile(input: ReconcileInput): ReconcileResult;
}
