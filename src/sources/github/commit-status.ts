import type { Run, Step } from '../../domain/run.js';
import { gateOfKey } from '../../engine/step-keys.js';

/** The four states of GitHub's commit status API (docs.github.com/rest/commits/statuses). */
export type CommitStatusState = 'pending' | 'success' | 'failure' | 'error';

export interface CommitStatus {
  /** `<service>/<gate>` (what `requiredChecks` and `gantry github protect` name), `gantry/scan` or `gantry/run`. */
  readonly context: string;
  readonly state: CommitStatusState;
  readonly description: string;
  readonly targetUrl: string;
}

export const RUN_CONTEXT = 'gantry/run';
export const SCAN_CONTEXT = 'gantry/scan';
/** GitHub refuses longer descriptions. */
export const MAX_DESCRIPTION = 140;

export const gateContext = (service: string, gate: string): string => `${service}/${gate}`;

export interface StatusFacts {
  readonly run: Run;
  readonly steps: readonly Step[];
  /** Every gate gantry.yaml declares at the run's commit, as `<service>/<gate>`. */
  readonly declaredGates: readonly string[];
  /** Whether the commit's gantry.yaml was valid (else no step was planned). */
  readonly configValid: boolean;
  /** The run's page on the dashboard. */
  readonly runUrl: string;
}

const clip = (text: string): string => (text.length <= MAX_DESCRIPTION ? text : `${text.slice(0, MAX_DESCRIPTION - 1)}…`);

function seconds(step: Pick<Step, 'startedAt' | 'finishedAt'>): string {
  if (step.startedAt === null || step.finishedAt === null) return '';
  return ` in ${Math.max(0, Math.round((step.finishedAt - step.startedAt) / 1000))} s`;
}

/** One step's status. All unfinished states are one `pending`, so a gate costs two calls, not four. */
function stepStatus(step: Step, context: string, targetUrl: string): CommitStatus {
  const s = (state: CommitStatusState, description: string): CommitStatus => ({ context, state, description: clip(description), targetUrl });
  switch (step.state) {
    case 'succeeded':
      return s('success', step.cached ? 'passed (cached: same content passed before)' : `passed${seconds(step)}`);
    case 'failed':
      return s('failure', `failed: ${step.error?.message ?? step.message ?? 'see the run'}`);
    case 'skipped':
      return s('error', `not run: ${step.message ?? 'a step it needs did not succeed'}`);
    case 'cancelled':
      return s('error', 'cancelled');
    default:
      return s('pending', 'in progress');
  }
}

function runStatus(f: StatusFacts): CommitStatus {
  const s = (state: CommitStatusState, description: string): CommitStatus => ({ context: RUN_CONTEXT, state, description: clip(description), targetUrl: f.runUrl });
  const failedStep = f.steps.find((st) => st.state === 'failed');
  switch (f.run.state) {
    case 'succeeded':
      return s('success', `run #${f.run.id} succeeded`);
    case 'failed':
      return s('failure', `run #${f.run.id} failed${failedStep ? ` at ${failedStep.name}` : ''}: ${f.run.error?.message ?? failedStep?.error?.message ?? 'see the run'}`);
    case 'cancelled':
      return s('error', `run #${f.run.id} was cancelled`);
    default:
      return s('pending', `run #${f.run.id} in progress`);
  }
}

/**
 * Pure: the statuses a run's commit should show now. Gates of services the change does not touch
 * are not run (the run checks only what changed), so they are reported `success` with that reason:
 * GitHub would otherwise wait forever for a check that `requiredChecks` names.
 */
export function planStatuses(f: StatusFacts): CommitStatus[] {
  const out: CommitStatus[] = [];
  const seen = new Set<string>();
  for (const step of f.steps) {
    const gate = step.kind === 'gate' ? gateOfKey(step.key) : undefined;
    let context: string | undefined;
    if (gate) context = gateContext(gate.service, gate.gate);
    else if (step.kind === 'scan') context = SCAN_CONTEXT;
    if (!context || seen.has(context)) continue;
    seen.add(context);
    out.push(stepStatus(step, context, f.runUrl));
  }
  for (const context of f.declaredGates) {
    if (seen.has(context)) continue;
    seen.add(context);
    out.push(
      f.configValid
        ? { context, state: 'success', description: clip(`not run: ${context.split('/')[0] ?? ''} is not affected by this change`), targetUrl: f.runUrl }
        : { context, state: 'error', description: clip(`not run: gantry.yaml at this commit is not valid`), targetUrl: f.runUrl },
    );
  }
  out.push(runStatus(f));
  return out;
}

type GatesOnly = { readonly services?: Readonly<Record<string, { readonly gates?: ReadonlyArray<{ readonly name?: unknown }> }>> };

/** `<service>/<gate>` for every gate a config declares. */
export const gatesOf = (config: GatesOnly): string[] =>
  Object.entries(config.services ?? {}).flatMap(([service, s]) => (s.gates ?? []).flatMap((g) => (typeof g.name === 'string' ? [gateContext(service, g.name)] : [])));

/** The gates of the run's stored gantry.yaml (the commit's); undefined when there is none. */
export function declaredGates(configJson: string): string[] | undefined {
  try {
    return gatesOf(JSON.parse(configJson) as GatesOnly);
  } catch {
    return undefined;
  }
}
