import { describe, expect, it } from 'vitest';
import { GantryError } from '../../../src/errors/index.js';
import { FAKE_CLOCK_START, FakeClock } from '../../../src/kernel/fake-clock.js';
import { Goal, RollingStrategy, reconcilePass } from '../../../src/strategies/index.js';
import type { Goal as GoalName, StrategyContext } from '../../../src/strategies/index.js';
import type { RolloutProgress } from '../../../src/domain/deployment.js';
import type { ServiceStatus } from '../../../src/targets/target.js';
import { FakeTarget } from '../../support/fake-target.js';
import { input, observed, progress, short, SPEC, ROLLING } from './reconcile-fixtures.js';

const T0 = FAKE_CLOCK_START;

interface Row {
  readonly name: string;
  readonly goal: GoalName;
  readonly state: RolloutProgress | null;
  readonly observed: ServiceStatus | undefined;
  readonly at: number;
  readonly previous?: number | undefined;
  /** The target rolls revisions itself (a Kubernetes Deployment). */
  readonly rollsItself?: boolean;
  /** The target calls, the stored phase (and step), the wait; or the error code. */
  readonly expected: { actions: string[]; phase: string; stepIndex?: number; wait: number | undefined } | { error: string };
}

const rows: Row[] = [
  { name: 'starts the new revision without traffic and looks again at once', goal: Goal.Rollout, state: null, observed: observed({ 6: 'ready' }, { 6: 100 }), at: 0, expected: { actions: ['start r7'], phase: 'starting', wait: 0 } },
  { name: 'waits one readiness poll while it starts', goal: Goal.Rollout, state: progress('starting', 0, T0), observed: observed({ 6: 'ready', 7: 'starting' }, { 6: 100 }), at: 2_000, expected: { actions: [], phase: 'starting', wait: 500 } },
  { name: 'waits only what is left of the ready deadline', goal: Goal.Rollout, state: progress('starting', 0, T0), observed: observed({ 6: 'ready', 7: 'starting' }, { 6: 100 }), at: 9_800, expected: { actions: [], phase: 'starting', wait: 200 } },
  { name: 'times out at the ready deadline, counted from the stored start', goal: Goal.Rollout, state: progress('starting', 0, T0), observed: observed({ 6: 'ready', 7: 'starting' }, { 6: 100 }), at: 10_000, expected: { error: 'REVISION_NOT_READY' } },
  { name: 'fails at once on a crash loop', goal: Goal.Rollout, state: progress('starting', 0, T0), observed: observed({ 6: 'ready', 7: 'crash-loop' }, { 6: 100 }), at: 500, expected: { error: 'REVISION_CRASH_LOOP' } },
  { name: 'gives the first batch as soon as it is ready, then waits one health interval', goal: Goal.Rollout, state: progress('starting', 0, T0), observed: observed({ 6: 'ready', 7: 'ready' }, { 6: 100 }), at: 3_000, expected: { actions: ['weights main {"6":75,"7":25}'], phase: 'shifting', stepIndex: 1, wait: 1_000 } },
  { name: 'a pass that comes early waits the rest of the interval and changes nothing', goal: Goal.Rollout, state: progress('shifting', 1, T0 + 3_000), observed: observed({ 6: 'ready', 7: 'ready' }, { 6: 75, 7: 25 }), at: 3_400, expected: { actions: [], phase: 'shifting', stepIndex: 1, wait: 600 } },
  { name: 'gives the next batch once the interval has passed', goal: Goal.Rollout, state: progress('shifting', 1, T0 + 3_000), observed: observed({ 6: 'ready', 7: 'ready' }, { 6: 75, 7: 25 }), at: 4_000, expected: { actions: ['weights main {"6":50,"7":50}'], phase: 'shifting', stepIndex: 2, wait: 1_000 } },
  { name: 'goes on from the share the target has when it is ahead of the stored step (never back)', goal: Goal.Rollout, state: progress('shifting', 1, T0 + 3_000), observed: observed({ 6: 'ready', 7: 'ready' }, { 6: 25, 7: 75 }), at: 60_000, expected: { actions: ['weights main {"6":0,"7":100}'], phase: 'switched', stepIndex: 4, wait: undefined } },
  { name: 'moves the rest at once when the previous revision stopped being ready', goal: Goal.Rollout, state: progress('shifting', 1, T0), observed: observed({ 6: 'unhealthy', 7: 'ready' }, { 6: 75, 7: 25 }), at: 1_000, expected: { actions: ['weights main {"6":0,"7":100}'], phase: 'switched', wait: undefined } },
  { name: 'stops the shift when the new revision broke under its share', goal: Goal.Rollout, state: progress('shifting', 2, T0), observed: observed({ 6: 'ready', 7: 'unhealthy' }, { 6: 50, 7: 50 }), at: 1_000, expected: { error: 'REVISION_UNHEALTHY' } },
  { name: 'does not start again a revision that vanished after it had traffic', goal: Goal.Rollout, state: progress('shifting', 2, T0), observed: observed({ 6: 'ready' }, { 6: 50, 7: 50 }), at: 1_000, expected: { error: 'REVISION_GONE' } },
  { name: 'is done when the main route is all on the new revision', goal: Goal.Rollout, state: progress('switched', 4, T0), observed: observed({ 6: 'ready', 7: 'ready' }, { 6: 0, 7: 100 }), at: 1_000, expected: { actions: [], phase: 'switched', wait: undefined } },
  { name: 'retires the previous revision once it has no traffic', goal: Goal.Retire, state: progress('switched', 4, T0), observed: observed({ 6: 'ready', 7: 'ready' }, { 6: 0, 7: 100 }), at: 0, expected: { actions: ['stop r6'], phase: 'retired', wait: undefined } },
  { name: 'retiring a stopped previous revision does nothing', goal: Goal.Retire, state: null, observed: observed({ 6: 'stopped', 7: 'ready' }, { 7: 100 }), at: 0, expected: { actions: [], phase: 'retired', wait: undefined } },
  { name: 'refuses to retire a previous revision that still serves', goal: Goal.Retire, state: null, observed: observed({ 6: 'ready', 7: 'ready' }, { 6: 50, 7: 50 }), at: 0, expected: { error: 'REVISION_STILL_SERVING' } },
  { name: 'rolls back in one pass: all main traffic to the previous revision, then stops the new one', goal: Goal.Rollback, state: progress('shifting', 2, T0), observed: observed({ 6: 'ready', 7: 'ready' }, { 6: 50, 7: 50 }), at: 0, expected: { actions: ['weights main {"6":100}', 'stop r7'], phase: 'rolled-back', wait: undefined } },
  { name: 'waits for a previous revision that is starting again before it takes traffic back', goal: Goal.Rollback, state: null, observed: observed({ 6: 'starting', 7: 'ready' }, { 7: 100 }), at: 0, expected: { actions: [], phase: 'rolling-back', wait: 500 } },
  { name: 'rolls back a first deploy by emptying the route', goal: Goal.Rollback, state: null, previous: undefined, observed: observed({ 7: 'ready' }, { 7: 100 }), at: 0, expected: { actions: ['weights main {}', 'stop r7'], phase: 'rolled-back', wait: undefined } },
  // A target that rolls revisions itself (Kubernetes): started, then watched; back by its undo.
  { name: 'self-rolling: starts the update and looks again after a poll', rollsItself: true, goal: Goal.Rollout, state: null, observed: observed({ 6: 'ready' }, { 6: 100 }), at: 0, expected: { actions: ['start r7'], phase: 'starting', wait: 500 } },
  { name: 'self-rolling: a revision the target does not show yet is started again (idempotent) after a poll', rollsItself: true, goal: Goal.Rollout, state: progress('starting', 0, T0), observed: observed({ 6: 'ready' }, { 6: 100 }), at: 400, expected: { actions: ['start r7'], phase: 'starting', wait: 500 } },
  { name: 'self-rolling: waits while the update runs, whatever its shares', rollsItself: true, goal: Goal.Rollout, state: progress('starting', 0, T0), observed: observed({ 6: 'ready', 7: 'starting' }, { 6: 50, 7: 50 }), at: 2_000, expected: { actions: [], phase: 'starting', wait: 500 } },
  { name: 'self-rolling: never sets weights itself; done once the target reports the update complete', rollsItself: true, goal: Goal.Rollout, state: progress('starting', 0, T0), observed: observed({ 6: 'stopped', 7: 'ready' }, { 7: 100 }), at: 3_000, expected: { actions: [], phase: 'switched', wait: undefined } },
  { name: 'self-rolling: fails at once when the target gave up on the revision (image pull, OOM, deadline)', rollsItself: true, goal: Goal.Rollout, state: progress('starting', 0, T0), observed: observed({ 6: 'ready', 7: 'failed' }, { 6: 100 }), at: 500, expected: { error: 'REVISION_FAILED' } },
  { name: 'self-rolling: rollback after the update completed is the target undo to the scaled-down previous revision', rollsItself: true, goal: Goal.Rollback, state: null, observed: observed({ 6: 'stopped', 7: 'ready' }, { 7: 100 }), at: 0, expected: { actions: ['weights main {"6":100}'], phase: 'rolled-back', wait: undefined } },
  { name: 'self-rolling: rollback of a crash-looping update that never took traffic stops it (the target undoes)', rollsItself: true, goal: Goal.Rollback, state: null, observed: observed({ 6: 'ready', 7: 'crash-loop' }, { 6: 100 }), at: 0, expected: { actions: ['stop r7'], phase: 'rolled-back', wait: undefined } },
];

describe('RollingStrategy.reconcile: (state, observed) → actions', () => {
  it.each(rows)('$name', (row) => {
    const run = () => new RollingStrategy().reconcile(input({ goal: row.goal, progress: row.state, observed: row.observed, now: T0 + row.at, ...('previous' in row ? { previous: row.previous } : {}), ...(row.rollsItself === undefined ? {} : { rollsItself: row.rollsItself }) }));
    if ('error' in row.expected) {
      const error: unknown = (() => { try { run(); return undefined; } catch (e: unknown) { return e; } })();
      expect(error).toBeInstanceOf(GantryError);
      expect((error as GantryError).code).toBe(row.expected.error);
      return;
    }
    const result = run();
    expect(result.actions.map(short)).toEqual(row.expected.actions);
    expect(result.next.phase).toBe(row.expected.phase);
    if (row.expected.stepIndex !== undefined) expect(result.next.stepIndex).toBe(row.expected.stepIndex);
    expect(result.wait).toBe(row.expected.wait);
  });
});

describe('a rolling rollout driven pass by pass on a fake clock', () => {
  it('resumes from the stored progress alone after each pass, as a restarted control plane would, and never moves a share back', async () => {
    const clock = new FakeClock();
    const fake = new FakeTarget('production', 'api').serving(6);
    const ctx: StrategyContext = {
      target: fake, spec: SPEC, previous: 6, config: ROLLING, readyDeadlineMs: 10_000, signal: new AbortController().signal,
      log: () => undefined, now: () => clock.now(), sleep: (ms, signal) => clock.sleep(ms, signal), preSwitchCheck: fake.preSwitchCheck,
    };
    let stored: RolloutProgress | null = null;
    const shares: number[] = [];
    for (let pass = 0; pass < 20; pass++) {
      // A fresh strategy each pass: nothing survives between passes but what was stored.
      const outcome = await reconcilePass(new RollingStrategy(), Goal.Rollout, ctx, stored, { save: async (p) => void (stored = JSON.parse(JSON.stringify(p)) as RolloutProgress) });
      shares.push(fake.route('main')['7'] ?? 0);
      if (outcome.wait === undefined) break;
      await clock.advance(outcome.wait);
    }
    expect(fake.changes()).toEqual(['start r7', 'weights main {"6":75,"7":25}', 'weights main {"6":50,"7":50}', 'weights main {"6":25,"7":75}', 'weights main {"6":0,"7":100}']);
    expect(shares).toEqual([...shares].sort((a, b) => a - b));
    expect(stored).toMatchObject({ phase: 'switched', weights: { 6: 0, 7: 100 } });
    // Three batches one health interval apart, measured on the fake clock.
    expect(clock.now() - FAKE_CLOCK_START).toBe(3 * SPEC.health.intervalMs);
  });
});

/** A router that applies each new set of weights only at the second look (as a Kubernetes ingress might). */
class LateRouter extends FakeTarget {
  private pending = 0;
  override async setWeights(environment: string, service: string, route: 'main' | 'preview', weights: Readonly<Record<string, number>>): Promise<void> {
    await super.setWeights(environment, service, route, weights);
    this.pending = 1;
  }
  override async verifyWeights(environment: string, service: string, route: 'main' | 'preview', weights: Readonly<Record<string, number>>): Promise<{ applied: boolean; actual: Readonly<Record<string, number>> }> {
    const check = await super.verifyWeights(environment, service, route, weights);
    if (this.pending === 0) return check;
    this.pending -= 1;
    return { applied: false, actual: {} };
  }
}

describe('weights a router applies late', () => {
  it('stops the pass until the router serves them, then goes on without skipping or repeating a batch', async () => {
    const clock = new FakeClock();
    const fake = new LateRouter('production', 'api').serving(6);
    const ctx: StrategyContext = {
      target: fake, spec: SPEC, previous: 6, config: ROLLING, readyDeadlineMs: 10_000, signal: new AbortController().signal,
      log: () => undefined, now: () => clock.now(), sleep: (ms, signal) => clock.sleep(ms, signal), preSwitchCheck: fake.preSwitchCheck,
    };
    let stored: RolloutProgress | null = null;
    const waits: number[] = [];
    for (let pass = 0; pass < 30; pass++) {
      const outcome = await reconcilePass(new RollingStrategy(), Goal.Rollout, ctx, stored, { save: async (p) => void (stored = p) });
      if (outcome.wait === undefined) break;
      waits.push(outcome.wait);
      await clock.advance(outcome.wait);
    }
    const main = fake.changes().filter((c) => c.startsWith('weights main'));
    // Each batch is set, found not yet in force (one look of 500 ms), then the shift moves on from what the router serves.
    expect(main).toEqual(['weights main {"6":75,"7":25}', 'weights main {"6":50,"7":50}', 'weights main {"6":25,"7":75}', 'weights main {"6":0,"7":100}']);
    expect(waits.filter((w) => w === 500).length).toBeGreaterThanOrEqual(4);
    expect(fake.route('main')).toEqual({ 6: 0, 7: 100 });
    expect(stored).toMatchObject({ phase: 'switched' });
  });
});
