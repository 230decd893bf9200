import type { StrategyConfig } from '../domain/rollout-config.js';
import { InternalError } from '../errors/index.js';
import { DEFAULT_READY_POLL_MS, Goal, ownPhase, progressOf } from './reconcile.js';
import type { Action, ReconcileInput, ReconcileResult } from './reconcile.js';
import { hasWeights, isRunning, ports, readyOrWait, requireReady, revisionIn, routesOnlyTo } from './readiness.js';
import { retirePass } from './retire-pass.js';
import { rollbackPass } from './rollback-pass.js';
import type { Strategy } from './strategy.js';

/** Blue-green's phases, as stored on the deployment. */
export const BlueGreenPhase = { Starting: 'starting', Checked: 'preview-checked', Switched: 'switched', ScalingDown: 'scaling-down', Retired: 'retired' } as const;
const ROLLOUT_PHASES: readonly string[] = [BlueGreenPhase.Starting, BlueGreenPhase.Checked, BlueGreenPhase.Switched];

/**
 * Blue-green: green (the new revision) starts beside blue (the previous) with no users, is
 * reached through the preview route for the pre-switch checks, then takes the whole main route
 * in one setWeights call. Blue keeps running until retire, so rollback is one call away; retire
 * waits scaleDownDelay as a stored wait (its start is on the deployment), never a sleep.
 */
export class BlueGreenStrategy implements Strategy {
  readonly kind = 'blue-green' as const;

  reconcile(input: ReconcileInput): ReconcileResult {
    const { scaleDownDelayMs } = blueGreenConfig(input.config);
    if (input.goal === Goal.Retire) return retirePass(input, scaleDownDelayMs, { scalingDown: BlueGreenPhase.ScalingDown, retired: BlueGreenPhase.Retired }, 'blue');
    if (input.goal === Goal.Rollback) return rollbackPass(input, true);
    return rollout(input);
  }
}

function rollout(input: ReconcileInput): ReconcileResult {
  const { spec, previous, observed, now } = input;
  const { service: name, revision: green } = spec;
  const own = ownPhase(input.progress, ROLLOUT_PHASES);
  const since = own?.since ?? now;
  const clear: Action[] = hasWeights(observed, 'preview') ? [{ kind: 'set-weights', route: 'preview', weights: {} }] : [];
  if (routesOnlyTo(observed, 'main', green)) {
    const wait = readyOrWait(input, observed, green, since, now, DEFAULT_READY_POLL_MS);
    if (wait !== undefined) return { actions: [], next: progressOf(BlueGreenPhase.Starting, 0, since, observed, []), wait, log: [] };
    const log = own?.phase === BlueGreenPhase.Switched ? [] : [`${name} main route already on green r${green}; nothing to switch`];
    return { actions: clear, next: progressOf(BlueGreenPhase.Switched, 1, now, observed, clear), log: clear.length > 0 ? [...log, `clearing ${name} preview route`] : log };
  }
  if (!isRunning(revisionIn(observed, green))) {
    // Checked green that vanished before the switch is a failure, not something to start again.
    if (own?.phase === BlueGreenPhase.Checked) requireReady(input, observed, green);
    const log = `starting green ${name} r${green} (release ${spec.release.slice(0, 7)}) without traffic`;
    return { actions: [{ kind: 'start', spec }], next: progressOf(BlueGreenPhase.Starting, 0, now, observed, []), wait: 0, log: [log] };
  }
  if (own?.phase === BlueGreenPhase.Checked) {
    // The checks may take minutes: green must still be ready at the moment users reach it.
    requireReady(input, observed, green);
    const actions: Action[] = [{ kind: 'set-weights', route: 'main', weights: { [green]: 100 } }, { kind: 'set-weights', route: 'preview', weights: {} }];
    const switched = previous === undefined ? `${name} main route now on green r${green} (first deploy)` : `switched ${name} main route: r${previous} → r${green}; blue r${previous} keeps running until retire`;
    return { actions, next: progressOf(BlueGreenPhase.Switched, 1, now, observed, actions), log: [switched, `cleared ${name} preview route`] };
  }
  const wait = readyOrWait(input, observed, green, since, now, DEFAULT_READY_POLL_MS);
  if (wait !== undefined) return { actions: [], next: progressOf(BlueGreenPhase.Starting, 0, since, observed, []), wait, log: [] };
  const ready = `green r${green} ready on ${ports(requireReady(input, observed, green))}`;
  const preview: Action[] = routesOnlyTo(observed, 'preview', green) ? [] : [{ kind: 'set-weights', route: 'preview', weights: { [green]: 100 } }];
  // Stored only after the checks passed: a control plane that dies during them runs them again.
  return { actions: [...preview, { kind: 'check', route: 'preview' }], next: progressOf(BlueGreenPhase.Checked, 0, now, observed, []), wait: 0, log: [ready] };
}

function blueGreenConfig(config: StrategyConfig): Extract<StrategyConfig, { kind: 'blue-green' }> {
  if (config.kind !== 'blue-green') throw new InternalError(`BlueGreenStrategy was given a ${config.kind} config`);
  return config;
}
