import type { RolloutProgress } from '../domain/deployment.js';
import type { StrategyConfig } from '../domain/rollout-config.js';
import type { RevisionSpec, RouteMatch, RouteName, ServiceStatus } from '../targets/target.js';

/**
 * The controller shape of Argo Rollouts (rollout/canary.go): a strategy never waits. Each pass
 * looks at what the target reports, decides the target calls that move it one step towards the
 * goal, and says when to look again. The caller applies the calls and stores `next`, so a control
 * plane restarted at any moment carries on from the stored progress and the target's actual state.
 */
export const Goal = {
  /** Bring the new revision up and move all main-route traffic to it. */
  Rollout: 'rollout',
  /** After monitoring passed: stop the previous revision. */
  Retire: 'retire',
  /** Put all main-route traffic back on the previous revision and stop the new one. */
  Rollback: 'rollback',
} as const;
export type Goal = (typeof Goal)[keyof typeof Goal];

/** A call on the Target contract, or the pre-switch checks (run by the caller against the preview route). */
export type Action =
  | { readonly kind: 'start'; readonly spec: RevisionSpec }
  | { readonly kind: 'set-weights'; readonly route: RouteName; readonly weights: Readonly<Record<string, number>> }
  | { readonly kind: 'stop'; readonly revision: number }
  | { readonly kind: 'set-match'; readonly match: RouteMatch | null }
  | { readonly kind: 'check'; readonly route: 'preview' };

export interface ReconcileInput {
  readonly goal: Goal;
  /** The new revision. */
  readonly spec: RevisionSpec;
  /** The revision that served before this deployment; undefined on a first deploy. */
  readonly previous: number | undefined;
  readonly config: StrategyConfig;
  /** How long a revision may take to become ready. */
  readonly readyDeadlineMs: number;
  /** The target's name, for messages. */
  readonly targetName: string;
  /** What the last pass stored; null before the first pass. A phase of another goal reads as none. */
  readonly progress: RolloutProgress | null;
  /** The service as the target reports it now; undefined when it runs nothing of it. */
  readonly observed: ServiceStatus | undefined;
  readonly now: number;
  /** Why a rollback happens, for its first log line. */
  readonly reason?: string;
  /** When a person last promoted this deployment's run (`gantry promote`); a canary's pause without a duration waits for one after it began. */
  readonly promotedAt?: number;
  /** The target replaces revisions by its own rolling update (TargetCapabilities.rollsItself): rolling watches it, rollback undoes through it. */
  readonly rollsItself?: boolean;
}

export interface ReconcileResult {
  /** Applied in order; the first that fails ends the pass (the next pass reconciles from what happened). */
  readonly actions: readonly Action[];
  readonly next: RolloutProgress;
  /** Look again after this many ms (0: at once, after applying the actions); absent: the goal is reached. */
  readonly wait?: number;
  /** What the pass decided, for the step's log. */
  readonly log: readonly string[];
}

/** Twice a second notices readiness without chatter; describe() is one cheap call to the target. */
export const DEFAULT_READY_POLL_MS = 500;

/** The progress a pass continues from: its own phase, or a fresh one when the stored phase belongs to another goal. */
export function ownPhase(progress: RolloutProgress | null, phases: readonly string[]): RolloutProgress | null {
  return progress !== null && phases.includes(progress.phase) ? progress : null;
}

/** The main weights after the actions, else as observed: what `RolloutProgress.weights` records. */
export function weightsAfter(observed: ServiceStatus | undefined, actions: readonly Action[]): Readonly<Record<string, number>> {
  const set = actions.filter((a) => a.kind === 'set-weights' && a.route === 'main').at(-1);
  if (set?.kind === 'set-weights') return set.weights;
  return observed?.weights.main ?? {};
}

export const progressOf = (phase: string, stepIndex: number, since: number, observed: ServiceStatus | undefined, actions: readonly Action[]): RolloutProgress => ({
  phase,
  stepIndex,
  since,
  weights: weightsAfter(observed, actions),
});
