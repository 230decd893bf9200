import { ownPhase, progressOf } from './reconcile.js';
import type { Action, ReconcileInput, ReconcileResult } from './reconcile.js';
import { isRunning, revisionIn, stillServing, weightOf } from './readiness.js';

/** The phase names a strategy stores for its retire (kept per strategy so stored progress keeps its meaning). */
export interface RetirePhases {
  readonly scalingDown: string;
  readonly retired: string;
}

/**
 * Retire after monitoring passed, shared by the strategies that keep the previous revision running
 * beside the new one (blue-green, canary): wait the scale-down delay as a stored wait (clients holding
 * keep-alive connections or cached addresses may still reach it for a while), then stop it.
 */
export function retirePass(input: ReconcileInput, scaleDownDelayMs: number, phases: RetirePhases, label: string): ReconcileResult {
  const { spec, previous, observed, now } = input;
  const done = (actions: Action[], log: string[]): ReconcileResult => ({ actions, next: progressOf(phases.retired, 0, now, observed, actions), log });
  if (previous === undefined) return done([], []);
  if (!isRunning(revisionIn(observed, previous))) return done([], [`${label} ${spec.service} r${previous} is already stopped`]);
  if (weightOf(observed, 'main', previous) > 0) throw stillServing(spec, previous);
  const own = ownPhase(input.progress, [phases.scalingDown]);
  if (own === null) {
    const log = `waiting ${Math.round(scaleDownDelayMs / 1000)} s (scale-down delay) before stopping ${label} ${spec.service} r${previous}`;
    return { actions: [], next: progressOf(phases.scalingDown, 0, now, observed, []), wait: scaleDownDelayMs, log: [log] };
  }
  const left = own.since + scaleDownDelayMs - now;
  if (left > 0) return { actions: [], next: own, wait: left, log: [] };
  return done([{ kind: 'stop', revision: previous }], [`stopping ${label} ${spec.service} r${previous}: r${spec.revision} passed monitoring`]);
}
