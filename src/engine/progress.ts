import { RunState, StepState, isTerminalStep } from '../domain/phases.js';
import type { Run, Step, StepError } from '../domain/run.js';

export interface RunProgress {
  /** Running steps to abort (the run was cancelled). */
  readonly abort: readonly number[];
  /** Unstarted steps that will never run: a step they need did not succeed, or (for clean-up steps) nothing failed. */
  readonly skip: readonly { readonly step: Step; readonly reason: string }[];
  /** Unstarted steps of a cancelled run. */
  readonly cancel: readonly Step[];
  /** Steps that may be claimed now, in plan order. */
  readonly ready: readonly Step[];
  /** Set when nothing is left to do. */
  readonly finish: { readonly state: RunState; readonly error: StepError | null } | undefined;
}

const unstarted = (s: Step): boolean => s.state === StepState.Pending || s.state === StepState.Waiting;
const BAD: ReadonlySet<string> = new Set([StepState.Failed, StepState.Cancelled]);

/**
 * Decides what a run needs next from its stored steps alone. Pure: the executor applies the answer,
 * so the rules (what blocks what, when clean-up runs, when a run is over) are tested without
 * processes or a database. Plan order is a topological order, so one pass settles chains.
 */
export function planRunProgress(run: Run, steps: readonly Step[], now: number): RunProgress {
  const state = new Map(steps.map((s) => [s.key, s.state as string]));
  const skip: Array<{ step: Step; reason: string }> = [];
  const cancel: Step[] = [];
  const ready: Step[] = [];
  const bad = (k: string): boolean => BAD.has(state.get(k) ?? '');

  for (const s of steps) {
    if (!unstarted(s)) {
      if (s.state === StepState.Running && s.leaseExpiresAt !== null && s.leaseExpiresAt < now) ready.push(s);
      continue;
    }
    if (s.when === 'failure') {
      // Clean-up (rollback) still runs for a cancelled run: it is what makes cancelling mid-deploy safe.
      const needsDone = s.needs.every((k) => isTerminalStep(state.get(k) ?? StepState.Pending));
      if (!needsDone) continue;
      if (s.needs.some(bad) || run.cancelRequested) {
        if (s.notBefore <= now) ready.push(s);
      } else {
        skip.push({ step: s, reason: 'skipped: nothing failed' });
        state.set(s.key, StepState.Skipped);
      }
      continue;
    }
    if (run.cancelRequested) {
      cancel.push(s);
      state.set(s.key, StepState.Cancelled);
      continue;
    }
    const blocked = s.needs.find((k) => bad(k) || state.get(k) === StepState.Skipped);
    if (blocked !== undefined) {
      skip.push({ step: s, reason: `skipped: ${blocked} did not succeed` });
      state.set(s.key, StepState.Skipped);
      continue;
    }
    if (s.notBefore <= now && s.needs.every((k) => state.get(k) === StepState.Succeeded)) ready.push(s);
  }

  const abort = run.cancelRequested ? steps.filter((s) => s.state === StepState.Running && s.when !== 'failure').map((s) => s.id) : [];
  const allDone = steps.every((s) => isTerminalStep(state.get(s.key) ?? s.state));
  let finish: RunProgress['finish'];
  if (allDone) {
    const failed = steps.find((s) => s.state === StepState.Failed && s.when !== 'failure') ?? steps.find((s) => s.state === StepState.Failed);
    if (run.cancelRequested) finish = { state: RunState.Cancelled, error: null };
    else if (failed) finish = { state: RunState.Failed, error: failed.error && { ...failed.error, message: `${failed.name}: ${failed.error.message}` } };
    else finish = { state: RunState.Succeeded, error: null };
  }
  return { abort, skip, cancel, ready, finish };
}
