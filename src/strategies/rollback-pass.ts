import { DEFAULT_READY_POLL_MS, ownPhase, progressOf } from './reconcile.js';
import type { Action, ReconcileInput, ReconcileResult } from './reconcile.js';
import { hasWeights, isRunning, readyOrWait, revisionIn, routesOnlyTo } from './readiness.js';

export const RollbackPhase = { RollingBack: 'rolling-back', RolledBack: 'rolled-back' } as const;

/**
 * The rollback pass every strategy shares: all main-route traffic back on the previous revision in
 * one call (it never stopped: invariant 3), then the new one stopped. With the previous revision
 * ready this is one pass, so a failed check reaches 100 % on the previous revision without a wait.
 * The way back respects invariant 3 too: a previous revision that is starting again is waited
 * for (up to the ready deadline), one that crash-loops fails the rollback and leaves traffic where it is.
 */
export function rollbackPass(input: ReconcileInput, clearPreview: boolean): ReconcileResult {
  const { spec, previous, observed, now } = input;
  const rev = spec.revision;
  const own = ownPhase(input.progress, [RollbackPhase.RollingBack]);
  const since = own?.since ?? now;
  const log = own === null ? [`rolling back ${spec.service} r${rev}${previous === undefined ? '' : ` to r${previous}`}${input.reason ? `: ${input.reason}` : ''}`] : [];
  const actions: Action[] = [];
  if (previous === undefined) {
    if (hasWeights(observed, 'main')) actions.push({ kind: 'set-weights', route: 'main', weights: {} });
  } else if (!routesOnlyTo(observed, 'main', previous) && input.rollsItself === true) {
    // The previous revision was replaced by the target's own rollout: going back is the target's
    // undo (`kubectl rollout undo`), and verifyWeights holds the next pass until the undo completed.
    actions.push({ kind: 'set-weights', route: 'main', weights: { [previous]: 100 } });
    log.push(`undoing ${spec.service} to r${previous} through the target's own rollout`);
  } else if (!routesOnlyTo(observed, 'main', previous)) {
    const wait = readyOrWait(input, observed, previous, since, now, DEFAULT_READY_POLL_MS);
    if (wait !== undefined) return { actions: [], next: progressOf(RollbackPhase.RollingBack, 0, since, observed, []), wait, log };
    actions.push({ kind: 'set-weights', route: 'main', weights: { [previous]: 100 } });
    log.push(`switching ${spec.service} main route back: r${rev} → r${previous}`);
  }
  if (clearPreview && hasWeights(observed, 'preview')) {
    actions.push({ kind: 'set-weights', route: 'preview', weights: {} });
    log.push(`clearing ${spec.service} preview route`);
  }
  if (isRunning(revisionIn(observed, rev)) && !(input.rollsItself === true && actions.length > 0)) {
    // (A target that rolls itself retires the new revision in the undo just asked for.)
    actions.push({ kind: 'stop', revision: rev });
    log.push(`stopping ${spec.service} r${rev}`);
  }
  return { actions, next: progressOf(RollbackPhase.RolledBack, 0, now, observed, actions), log };
}
