/** The canary's phases, as stored on its deployment (RolloutProgress.phase); `stepIndex` is the step it is on. */
export const CanaryPhase = {
  Starting: 'starting',
  /** Applying steps[stepIndex] (a setWeight, or the start of a pause or an analysis). */
  Stepping: 'stepping',
  Paused: 'paused',
  /** steps[stepIndex] is an analysis: the deploy step measures the canary and moves stepIndex on when it passed. */
  Analysing: 'analysing',
  Switched: 'switched',
  ScalingDown: 'scaling-down',
  Retired: 'retired',
} as const;

/** While a canary is in one of these, a person may promote (when paused) or abort it. */
export const CANARY_ROLLOUT_PHASES: readonly string[] = [CanaryPhase.Starting, CanaryPhase.Stepping, CanaryPhase.Paused, CanaryPhase.Analysing];

/** What a person decided about a running canary: `gantry promote` ends a pause, `gantry abort` rolls it back. */
export type CanaryDecision = 'promote' | 'abort';
