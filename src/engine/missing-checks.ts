import { StepState, TriggerKind } from '../domain/phases.js';
import type { Step } from '../domain/run.js';
import type { Store } from '../store/store.js';
import { gateOfKey } from './step-keys.js';

/** How far back a check is followed through commits that left its service unchanged. */
const MAX_HOPS = 50;
const RUNS_PER_COMMIT = 20;

const serviceOf = (check: string): string => check.slice(0, check.indexOf('/'));

function passedHere(steps: readonly Step[]): Set<string> {
  const passed = new Set<string>();
  for (const s of steps) {
    const gate = s.kind === 'gate' ? gateOfKey(s.key) : undefined;
    if (gate && s.state === StepState.Succeeded) passed.add(`${gate.service}/${gate.gate}`);
  }
  return passed;
}

/**
 * The required checks (`<service>/<gate>`, as `gantry github protect` names them) that have not
 * passed on `sha`, read from the store. A check passed on a commit when its gate step succeeded
 * (ran, or reused from the gate cache) in a run of that commit. A run only checks the services
 * that changed since its base, so a push run whose stored plan has no gate of a service vouches
 * that the service is unchanged since that base: the check is then judged on the base, and so on.
 * Without this, a branch that changed one service could never satisfy checks of the others.
 */
export async function missingChecks(store: Store, sha: string, checks: readonly string[]): Promise<string[]> {
  const missing: string[] = [];
  let wanted = [...new Set(checks)];
  let at: string | null = sha;
  for (let hop = 0; hop < MAX_HOPS && at !== null && wanted.length > 0; hop++) {
    const runs = await store.runs.list({ sha: at, limit: RUNS_PER_COMMIT });
    const steps = await store.steps.forRuns(runs.map((r) => r.id));
    const passed = passedHere(steps);
    wanted = wanted.filter((c) => !passed.has(c));
    // Whatever became of it, a push run's stored plan says which services changed since its base.
    const planned = runs.find((r) => r.trigger === TriggerKind.Push && r.baseSha !== null && r.baseSha !== at);
    if (!planned) break;
    const checked = new Set(steps.filter((s) => s.runId === planned.id && s.kind === 'gate').map((s) => s.service));
    missing.push(...wanted.filter((c) => checked.has(serviceOf(c))));
    wanted = wanted.filter((c) => !checked.has(serviceOf(c)));
    at = planned.baseSha;
  }
  return [...missing, ...wanted].sort();
}
