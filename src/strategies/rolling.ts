import type { StrategyConfig } from '../domain/rollout-config.js';
import { InternalError } from '../errors/index.js';
import { RevisionPhase } from '../targets/target.js';
import { DEFAULT_READY_POLL_MS, Goal, ownPhase, progressOf } from './reconcile.js';
import type { Action, ReconcileInput, ReconcileResult } from './reconcile.js';
import { isRunning, ports, readyOrWait, requireReady, revisionIn, routesOnlyTo, stillServing, weightOf } from './readiness.js';
import { rollbackPass } from './rollback-pass.js';
import type { Strategy } from './strategy.js';

/** Rolling's rollout phases, as stored on the deployment. */
export const RollingPhase = { Starting: 'starting', Shifting: 'shifting', Switched: 'switched', Retired: 'retired' } as const;
const ROLLOUT_PHASES: readonly string[] = [RollingPhase.Starting, RollingPhase.Shifting, RollingPhase.Switched];

/**
 * Rolling: the new revision starts beside the previous one with all its replicas, and the main
 * route's traffic moves to it in batches of maxSurge replicas' worth (4 replicas, maxSurge 1:
 * 25 → 50 → 75 → 100 %), one health interval apart, re-checking readiness before each batch. Each
 * batch is one pass: the gap between batches is a stored wait, not a sleep, so a restarted control
 * plane resumes from the share the target already has, and a share never goes back.
 *
 * maxUnavailable bounds how much serving capacity may be taken away from the previous revision
 * while traffic shifts. Here nothing is ever taken away: the previous revision keeps every replica
 * until `retire` (invariant 3: instant rollback until monitoring passes), so the bound always
 * holds and the setting changes nothing. It would matter only for a target that must stop old
 * replicas to make room for new ones, which this strategy never does; so validation refuses it on a
 * local target (config/rules/unsupported.ts) rather than accept a setting that does nothing.
 *
 * A target that rolls revisions itself (rollsItself: a Kubernetes Deployment) gets the start and
 * is then watched: its own update honours maxSurge and maxUnavailable with Kubernetes' meaning, and
 * the revision is ready once the update completed. The previous revision is then already scaled
 * down, so a rollback is the target's undo rather than a switch back.
 */
export class RollingStrategy implements Strategy {
  readonly kind = 'rolling' as const;

  reconcile(input: ReconcileInput): ReconcileResult {
    const { maxSurge } = rollingConfig(input.config);
    if (input.goal === Goal.Retire) return retire(input);
    if (input.goal === Goal.Rollback) return rollbackPass(input, false);
    return rollout(input, maxSurge);
  }
}

function rollout(input: ReconcileInput, maxSurge: number): ReconcileResult {
  const { spec, observed, now } = input;
  const rev = spec.revision;
  const own = ownPhase(input.progress, ROLLOUT_PHASES);
  if (!isRunning(revisionIn(observed, rev))) {
    // Once it has had traffic, a revision that vanished is a failure, not something to start again.
    if (own !== null && own.phase !== RollingPhase.Starting) requireReady(input, observed, rev);
    if (input.rollsItself === true) {
      // The target's update may take a moment to show the new revision: look again after a poll, not at once.
      const log = own === null ? [`rolling ${spec.service} to r${rev} (release ${spec.release.slice(0, 7)}, ${spec.replicas} replica(s)) with the target's own rolling update`] : [];
      return { actions: [{ kind: 'start', spec }], next: progressOf(RollingPhase.Starting, 0, own?.since ?? now, observed, []), wait: DEFAULT_READY_POLL_MS, log };
    }
    const log = `starting ${spec.service} r${rev} (release ${spec.release.slice(0, 7)}, ${spec.replicas} replica(s)) without traffic`;
    return { actions: [{ kind: 'start', spec }], next: progressOf(RollingPhase.Starting, 0, now, observed, []), wait: 0, log: [log] };
  }
  if (own === null || own.phase === RollingPhase.Starting) {
    const since = own?.since ?? now;
    const wait = readyOrWait(input, observed, rev, since, now, DEFAULT_READY_POLL_MS);
    if (wait !== undefined) return { actions: [], next: progressOf(RollingPhase.Starting, 0, since, observed, []), wait, log: [] };
    const ready = `${spec.service} r${rev} ready on ${ports(requireReady(input, observed, rev))}`;
    if (routesOnlyTo(observed, 'main', rev)) {
      const why = input.rollsItself === true ? `the target's own rolling update moved all of ${spec.service} to r${rev}` : `${spec.service} main route already sends all traffic to r${rev}; nothing to shift`;
      return { actions: [], next: progressOf(RollingPhase.Switched, 0, now, observed, []), log: [ready, why] };
    }
    // A target that rolls itself reports ready only once its update completed; until its weights say so too, look again.
    if (input.rollsItself === true) return { actions: [], next: progressOf(RollingPhase.Starting, 0, since, observed, []), wait: DEFAULT_READY_POLL_MS, log: [] };
    return shift(input, maxSurge, [ready]);
  }
  if (own.phase === RollingPhase.Switched && routesOnlyTo(observed, 'main', rev)) return { actions: [], next: own, log: [] };
  // One probe interval per batch, so the target has probed the revision under its new load before it gets more.
  const early = own.since + spec.health.intervalMs - now;
  if (early > 0) return { actions: [], next: own, wait: early, log: [] };
  requireReady(input, observed, rev);
  return shift(input, maxSurge, []);
}

/** The next batch: the first planned share above what the new revision has now (never less). */
function shift(input: ReconcileInput, maxSurge: number, log: string[]): ReconcileResult {
  const { spec, previous, observed, now } = input;
  const rev = spec.revision;
  const all = shares(spec.replicas, maxSurge, previous);
  const share = all.find((s) => s > weightOf(observed, 'main', rev)) ?? 100;
  const old = previous === undefined ? undefined : revisionIn(observed, previous);
  // Shifting gradually only protects users if the old revision still serves them well.
  const next = old?.phase === RevisionPhase.Ready ? share : 100;
  if (old && next !== share) log.push(`previous r${old.revision} is ${old.phase}: moving all of ${spec.service} main route to r${rev} at once`);
  const weights = previous === undefined ? { [rev]: next } : { [previous]: 100 - next, [rev]: next };
  const actions: Action[] = [{ kind: 'set-weights', route: 'main', weights }];
  if (next < 100) {
    const step = all.indexOf(share) + 1;
    log.push(`${spec.service} main route: r${rev} ${next} %, r${previous} ${100 - next} % (step ${step} of ${all.length})`);
    return { actions, next: progressOf(RollingPhase.Shifting, step, now, observed, actions), wait: spec.health.intervalMs, log };
  }
  log.push(previous === undefined ? `${spec.service} main route now on r${rev} (first deploy)` : `switched ${spec.service} main route: r${previous} → r${rev}; r${previous} keeps running for rollback`);
  return { actions, next: progressOf(RollingPhase.Switched, all.length, now, observed, actions), log };
}

function retire(input: ReconcileInput): ReconcileResult {
  const { spec, previous, observed, now } = input;
  const done = (actions: Action[], log: string[]): ReconcileResult => ({ actions, next: progressOf(RollingPhase.Retired, 0, now, observed, actions), log });
  if (previous === undefined) return done([], []);
  if (!isRunning(revisionIn(observed, previous))) return done([], [`previous ${spec.service} r${previous} is already stopped`]);
  if (weightOf(observed, 'main', previous) > 0) throw stillServing(spec, previous);
  return done([{ kind: 'stop', revision: previous }], [`stopping previous ${spec.service} r${previous}: r${spec.revision} passed monitoring`]);
}

/** The new revision's main-route share after each batch: ceil(replicas / maxSurge) steps ending at 100. */
export function shares(replicas: number, maxSurge: number, previous: number | undefined): number[] {
  if (previous === undefined || replicas <= 1) return [100];
  const batch = Math.max(1, maxSurge);
  const steps = Math.ceil(replicas / batch);
  return Array.from({ length: steps }, (_, i) => Math.round((100 * Math.min(replicas, (i + 1) * batch)) / replicas));
}

function rollingConfig(config: StrategyConfig): Extract<StrategyConfig, { kind: 'rolling' }> {
  if (config.kind !== 'rolling') throw new InternalError(`RollingStrategy was given a ${config.kind} config`);
  return config;
}
