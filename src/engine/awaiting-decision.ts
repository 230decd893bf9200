import { StepState } from '../domain/phases.js';
import type { Step } from '../domain/run.js';
import type { WaitingStat } from '../store/repositories/dora-repository.js';
import type { Store } from '../store/store.js';
import { STEP_SPEC_SCHEMAS } from './step-specs/index.js';

/** `deploy`: an approval step asks for approvers; `analysis`: a watch window ended inconclusive and paused for a person. */
export type DecisionKind = 'deploy' | 'analysis';

export interface AwaitedDecision {
  readonly step: Step;
  readonly kind: DecisionKind;
  readonly environment: string;
  /** Approvals the step waits for: its planned count for a deployment (the rules when it was planned), one for an analysis; undefined when its spec cannot be read. */
  readonly required: number | undefined;
}

/** What of a run, besides its steps, says whether its watch window paused for a person. */
export interface PauseFacts {
  /** The watch recorded `analysis.inconclusive` (it pauses only when `watch.onInconclusive: pause`). */
  readonly analysisPaused: boolean;
  /** Someone already decided the paused window; the watch step takes that on its next pass. */
  readonly analysisDecided: boolean;
}

const STARTED: ReadonlySet<string> = new Set([StepState.Waiting, StepState.Running]);

/**
 * The one rule for which step of a run awaits a person, used by the approvals list (API, CLI,
 * dashboard) and by approve/reject alike. Pure. An approval step awaits approvers from when it has
 * asked (started) until it ends; a watch step awaits a decision only while it is paused on an
 * inconclusive window that nobody decided yet — a watch step that waits between its passes is
 * still watching, not asking anyone.
 */
export function awaitingDecision(steps: readonly Step[], facts: PauseFacts): AwaitedDecision | undefined {
  for (const step of steps) {
    if (!step.environment) continue;
    if (step.kind === 'approval' && STARTED.has(step.state)) {
      const spec = STEP_SPEC_SCHEMAS.approval.safeParse(step.spec);
      return { step, kind: 'deploy', environment: step.environment, required: spec.success ? spec.data.required : undefined };
    }
    if (step.kind === 'watch' && step.state === StepState.Waiting && facts.analysisPaused && !facts.analysisDecided) {
      return { step, kind: 'analysis', environment: step.environment, required: 1 };
    }
  }
  return undefined;
}

/** Reads the pause facts of a run from the store and applies the rule; `steps` are the run's steps in plan order. */
export async function findAwaitingDecision(store: Store, runId: number, steps: readonly Step[]): Promise<AwaitedDecision | undefined> {
  const watching = steps.some((s) => s.kind === 'watch' && s.state === StepState.Waiting);
  if (!watching) return awaitingDecision(steps, { analysisPaused: false, analysisDecided: false });
  const [events, decisions] = await Promise.all([store.events.list(1000, runId), store.approvals.forRun(runId, 'analysis')]);
  return awaitingDecision(steps, { analysisPaused: events.some((e) => e.kind === 'analysis.inconclusive'), analysisDecided: decisions.length > 0 });
}

/** Runs awaiting a person now, counted by environment and step kind (the gantry_approvals_waiting gauge), by the same rule. */
export async function waitingForPeople(store: Store): Promise<WaitingStat[]> {
  const active = await store.runs.listActive();
  const steps = await store.steps.forRuns(active.map((r) => r.id));
  const counts = new Map<string, WaitingStat>();
  for (const run of active) {
    const awaited = await findAwaitingDecision(store, run.id, steps.filter((s) => s.runId === run.id));
    if (!awaited) continue;
    const key = JSON.stringify([awaited.environment, awaited.step.kind]);
    counts.set(key, { environment: awaited.environment, kind: awaited.step.kind, count: (counts.get(key)?.count ?? 0) + 1 });
  }
  return [...counts.values()];
}
