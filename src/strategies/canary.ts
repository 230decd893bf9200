import { CANARY_ROLLOUT_PHASES, CanaryPhase } from '../domain/canary.js';
import type { CanaryConfig, CanaryStep, StrategyConfig } from '../domain/rollout-config.js';
import { InternalError } from '../errors/index.js';
import type { RouteMatch, ServiceStatus } from '../targets/target.js';
import { DEFAULT_READY_POLL_MS, Goal, ownPhase, progressOf } from './reconcile.js';
import type { Action, ReconcileInput, ReconcileResult } from './reconcile.js';
import { isRunning, ports, readyOrWait, requireReady, revisionIn, routesOnlyTo } from './readiness.js';
import { retirePass } from './retire-pass.js';
import { rollbackPass } from './rollback-pass.js';
import type { Strategy } from './strategy.js';

const ROLLOUT_PHASES: readonly string[] = [...CANARY_ROLLOUT_PHASES, CanaryPhase.Switched];

export { CanaryPhase };

/** How often a pause without a duration looks for `gantry promote` (the promote call also wakes the step at once). */
export const PROMOTE_POLL_MS = 1_000;

/**
 * Canary, as in Argo Rollouts: the new revision starts beside the stable one with no traffic, then
 * walks its steps: `setWeight` moves that share of the main route to it in one setWeights call,
 * `pause` waits (a set time, or until a person promotes), `analysis` hands over to the deploy step,
 * which measures the canary's own traffic and moves on only when the analysis passed. After the last
 * step it takes all traffic. Testers reach it before users do through the match rule (a header or a
 * cookie) on targets that route by header. The stable revision keeps running until retire, so an
 * abort (a failed analysis or check, `gantry abort`) is one setWeights away: the rollback pass.
 */
export class CanaryStrategy implements Strategy {
  readonly kind = 'canary' as const;

  reconcile(input: ReconcileInput): ReconcileResult {
    const config = canaryConfig(input.config);
    if (input.goal === Goal.Retire) return retirePass(input, config.scaleDownDelayMs, { scalingDown: CanaryPhase.ScalingDown, retired: CanaryPhase.Retired }, 'stable');
    if (input.goal === Goal.Rollback) return withMatchCleared(input, rollbackPass(input, false));
    return rollout(input, config);
  }
}

function rollout(input: ReconcileInput, config: CanaryConfig): ReconcileResult {
  const { spec, previous, observed, now } = input;
  const { service: name, revision: canary } = spec;
  const own = ownPhase(input.progress, ROLLOUT_PHASES);
  const since = own?.since ?? now;
  if (own?.phase === CanaryPhase.Switched && routesOnlyTo(observed, 'main', canary)) return { actions: [], next: own, log: [] };
  if (!isRunning(revisionIn(observed, canary))) {
    // A canary that vanished after it took traffic is a failure, not something to start again.
    if (own !== null && own.phase !== CanaryPhase.Starting) requireReady(input, observed, canary);
    const log = `starting canary ${name} r${canary} (release ${spec.release.slice(0, 7)}) without traffic`;
    return { actions: [{ kind: 'start', spec }], next: progressOf(CanaryPhase.Starting, 0, now, observed, []), wait: 0, log: [log] };
  }
  if (own === null || own.phase === CanaryPhase.Starting) {
    const wait = readyOrWait(input, observed, canary, since, now, DEFAULT_READY_POLL_MS);
    if (wait !== undefined) return { actions: [], next: progressOf(CanaryPhase.Starting, 0, since, observed, []), wait, log: [] };
    const ready = `canary r${canary} ready on ${ports(requireReady(input, observed, canary))}`;
    if (previous === undefined) {
      // Nothing to compare a canary with: a first deployment takes all traffic at once.
      const actions: Action[] = [{ kind: 'set-weights', route: 'main', weights: { [canary]: 100 } }];
      return { actions, next: progressOf(CanaryPhase.Switched, config.steps.length, now, observed, actions), log: [ready, `${name} main route now on r${canary} (first deploy: no stable revision to run a canary against)`] };
    }
    const match = matchActions(config, observed, canary);
    const log = [ready, `canary of ${name}: ${config.steps.length} steps (${config.steps.map(describeStep).join(' → ')}); stable r${previous} keeps running`];
    if (match.length > 0 && config.match) log.push(`requests with ${matchLabel(config.match)} now reach canary r${canary}`);
    return { actions: match, next: progressOf(CanaryPhase.Stepping, 0, now, observed, match), wait: 0, log };
  }
  // Every step starts from a canary that is still ready: one that crashed or fails its probes is aborted.
  requireReady(input, observed, canary);
  const index = own.stepIndex;
  const step = config.steps[index];
  const label = `step ${index + 1}/${config.steps.length}`;
  if (step === undefined) {
    const actions: Action[] = [{ kind: 'set-weights', route: 'main', weights: { [canary]: 100 } }, ...clearMatch(observed)];
    const why = config.steps.length === 0 ? `${name} r${canary} has no canary steps to walk (a rollback goes straight back)` : `canary ${name} r${canary} passed every step`;
    return { actions, next: progressOf(CanaryPhase.Switched, index, now, observed, actions), log: [`${why}: it takes all main traffic; r${previous} keeps running until retire`] };
  }
  if ('setWeight' in step) {
    const weights = splitOf(step.setWeight, canary, previous);
    const actions: Action[] = sameWeights(observed, weights) ? [] : [{ kind: 'set-weights', route: 'main', weights }];
    return { actions, next: progressOf(CanaryPhase.Stepping, index + 1, now, observed, actions), wait: 0, log: [`${label}: ${name} canary r${canary} at ${step.setWeight} % of main traffic, stable r${previous} at ${100 - step.setWeight} %`] };
  }
  if ('pause' in step) return pause(input, own, step.pause.durationMs, label);
  const first = own.phase !== CanaryPhase.Analysing;
  const log = first ? [`${label}: analysing canary ${name} r${canary} (${step.analysis.metrics.map((m) => m.name).join(', ')})`] : [];
  return { actions: [], next: progressOf(CanaryPhase.Analysing, index, first ? now : own.since, observed, []), wait: DEFAULT_READY_POLL_MS, log };
}

function pause(input: ReconcileInput, own: NonNullable<ReconcileInput['progress']>, durationMs: number | undefined, label: string): ReconcileResult {
  const { observed, now } = input;
  const first = own.phase !== CanaryPhase.Paused;
  const since = first ? now : own.since;
  const next = progressOf(CanaryPhase.Paused, own.stepIndex, since, observed, []);
  const share = observed?.weights.main[String(input.spec.revision)] ?? 0;
  const promoted = input.promotedAt !== undefined && input.promotedAt >= since;
  if (durationMs !== undefined && !promoted) {
    const left = since + durationMs - now;
    if (left > 0) return { actions: [], next, wait: left, log: first ? [`${label}: pausing ${Math.round(durationMs / 100) / 10} s at ${share} %`] : [] };
    return { actions: [], next: progressOf(CanaryPhase.Stepping, own.stepIndex + 1, now, observed, []), wait: 0, log: [`${label}: pause over`] };
  }
  if (durationMs !== undefined) return { actions: [], next: progressOf(CanaryPhase.Stepping, own.stepIndex + 1, now, observed, []), wait: 0, log: [`${label}: promoted before the pause was over`] };
  if (!promoted) {
    return { actions: [], next, wait: PROMOTE_POLL_MS, log: first ? [`${label}: paused at ${share} % until promoted (gantry promote, or Promote on the dashboard)`] : [] };
  }
  return { actions: [], next: progressOf(CanaryPhase.Stepping, own.stepIndex + 1, now, observed, []), wait: 0, log: [`${label}: promoted`] };
}

/** The main route's split for a step's weight: the rest stays on the stable revision. */
function splitOf(weight: number, canary: number, stable: number | undefined): Record<string, number> {
  if (stable === undefined || weight >= 100) return { [canary]: 100 };
  if (weight <= 0) return { [stable]: 100 };
  return { [canary]: weight, [stable]: 100 - weight };
}

function sameWeights(observed: ServiceStatus | undefined, weights: Readonly<Record<string, number>>): boolean {
  const live = Object.entries(observed?.weights.main ?? {}).filter(([, w]) => w > 0);
  return live.length === Object.keys(weights).length && live.every(([r, w]) => weights[r] === w);
}

function matchActions(config: CanaryConfig, observed: ServiceStatus | undefined, canary: number): Action[] {
  if (!config.match) return [];
  const match: RouteMatch = 'header' in config.match ? { header: config.match.header, value: config.match.value, revision: canary } : { cookie: config.match.cookie, value: config.match.value, revision: canary };
  return observed?.match && JSON.stringify(observed.match) === JSON.stringify(match) ? [] : [{ kind: 'set-match', match }];
}

const clearMatch = (observed: ServiceStatus | undefined): Action[] => (observed?.match ? [{ kind: 'set-match', match: null }] : []);

/** A rollback also takes the testers' match rule away from the canary. */
function withMatchCleared(input: ReconcileInput, result: ReconcileResult): ReconcileResult {
  const clear = clearMatch(input.observed);
  if (clear.length === 0) return result;
  return { ...result, actions: [...clear, ...result.actions], log: [...result.log, `${input.spec.service}: match rule cleared`] };
}

const matchLabel = (match: NonNullable<CanaryConfig['match']>): string => ('header' in match ? `header ${match.header}: ${match.value}` : `cookie ${match.cookie}=${match.value}`);

export function describeStep(step: CanaryStep): string {
  if ('setWeight' in step) return `${step.setWeight} %`;
  if ('pause' in step) return step.pause.durationMs === undefined ? 'pause until promoted' : `pause ${Math.round(step.pause.durationMs / 100) / 10} s`;
  return 'analysis';
}

function canaryConfig(config: StrategyConfig): CanaryConfig {
  if (config.kind !== 'canary') throw new InternalError(`CanaryStrategy was given a ${config.kind} config`);
  return config;
}
