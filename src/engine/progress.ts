import { RunState, StepState, isTerminalStep } from '../domain/phases.js';
import type { Run, Step, StepError } from '../domain/run.js';

export interface RunProgress {
  /** Running steps to abort (the run was cancelled). */
  readonly abort: readonly number[];
  /** Unstarted steps that can no longer run because a step they need did not succeed. */
  readonly skip: readonly Step[];
  /** Unstarted steps of a cancelled run. */
  readonly cancel: readonly Step[];
  /** Steps that may be claimed now, in plan order. */
  readonly ready: readonly Step[];
  /** Set when nothing is left to do. */
  readonly finish: { readonly state: RunState; readonly error: StepError | null } | undefined;
}

const unstarted = (s: Step): boolean => s.state === StepState.Pending || s.state === StepState.Waiting;

/**
 * Decides what a run needs next from its stored steps alone. Pure: the executor applies the answer,
 * so the rules (what blocks what, when a run is over) are tested without processes or a database.
 */
export function planRunProgress(run: Run, steps: readonly Step[], now: number, _owner: string): RunProgress {
  const state = new Map(steps.map((s) => [s.key, s.state as string]));
  if (run.cancelRequested) {
    const cancel = steps.filter(unstarted);
    for (const s of cancel) state.set(s.key, StepState.Cancelled);
    const running = steps.filter((s) => s.state === StepState.Running);
    return {
      abort: running.map((s) => s.id),
      skip: [],
      cancel,
      ready: [],
      finish: running.length === 0 ? { state: RunState.Cancelled, error: null } : undefined,
    };
  }

  // Plan order is a topological order, so one pass settles chains of blocked steps.
  const skip: Step[] = [];
  for (const s of steps) {
    if (!unstarted(s)) continue;
    const blocked = s.needs.some((k) => {
      const need = state.get(k);
      return need === StepState.Failed || need === StepState.Skipped || need === StepState.Cancelled;
    });
    if (blocked) {
      skip.push(s);
      state.set(s.key, StepState.Skipped);
    }
  }

  const ready = steps.filter((s) => {
    if (state.get(s.key) === StepState.Skipped && unstarted(s)) return false;
    if (unstarted(s)) return s.notBefore <= now && s.needs.every((k) => state.get(k) === StepState.Succeeded);
    return s.state === StepState.Running && s.leaseExpiresAt !== null && s.leaseExpiresAt < now;
  });

  const allDone = steps.every((s) => isTerminalStep(state.get(s.key) ?? s.state));
  let finish: RunProgress['finish'];
  if (allDone) {
    const failed = steps.find((s) => s.state === StepState.Failed);
    finish = failed
      ? { state: RunState.Failed, error: failed.error && { ...failed.error, message: `${failed.name}: ${failed.error.message}` } }
      : { state: RunState.Succeeded, error: null };
  }
  return { abort: [], skip, cancel: [], ready, finish };
}
