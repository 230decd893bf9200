import { describe, expect, it } from 'vitest';
import { GantryError } from '../../../src/errors/index.js';
import { FAKE_CLOCK_START, FakeClock } from '../../../src/kernel/fake-clock.js';
import { BlueGreenStrategy, Goal, reconcilePass } from '../../../src/strategies/index.js';
import type { Goal as GoalName, StrategyContext } from '../../../src/strategies/index.js';
import type { RolloutProgress } from '../../../src/domain/deployment.js';
import type { ServiceStatus } from '../../../src/targets/target.js';
import { FakeTarget } from '../../support/fake-target.js';
import { BLUE_GREEN, input, observed, progress, short, SPEC } from './reconcile-fixtures.js';

const T0 = FAKE_CLOCK_START;

interface Row {
  readonly name: string;
  readonly goal: GoalName;
  readonly state: RolloutProgress | null;
  readonly observed: ServiceStatus | undefined;
  readonly at: number;
  readonly expected: { actions: string[]; phase: string; wait: number | undefined } | { error: string };
}

const rows: Row[] = [
  { name: 'starts green without traffic and looks again at once', goal: Goal.Rollout, state: null, observed: observed({ 6: 'ready' }, { 6: 100 }), at: 0, expected: { actions: ['start r7'], phase: 'starting', wait: 0 } },
  { name: 'waits one readiness poll while green starts', goal: Goal.Rollout, state: progress('starting', 0, T0), observed: observed({ 6: 'ready', 7: 'starting' }, { 6: 100 }), at: 1_000, expected: { actions: [], phase: 'starting', wait: 500 } },
  { name: 'previews ready green and runs the pre-switch checks on it', goal: Goal.Rollout, state: progress('starting', 0, T0), observed: observed({ 6: 'ready', 7: 'ready' }, { 6: 100 }), at: 1_000, expected: { actions: ['weights preview {"7":100}', 'check preview'], phase: 'preview-checked', wait: 0 } },
  { name: 'after the checks, switches main in one call and clears the preview', goal: Goal.Rollout, state: progress('preview-checked', 0, T0), observed: observed({ 6: 'ready', 7: 'ready' }, { 6: 100 }, { 7: 100 }), at: 1_000, expected: { actions: ['weights main {"7":100}', 'weights preview {}'], phase: 'switched', wait: undefined } },
  { name: 'does not switch to green that broke during the checks', goal: Goal.Rollout, state: progress('preview-checked', 0, T0), observed: observed({ 6: 'ready', 7: 'unhealthy' }, { 6: 100 }, { 7: 100 }), at: 1_000, expected: { error: 'REVISION_UNHEALTHY' } },
  { name: 'does not start again checked green that vanished', goal: Goal.Rollout, state: progress('preview-checked', 0, T0), observed: observed({ 6: 'ready' }, { 6: 100 }, { 7: 100 }), at: 1_000, expected: { error: 'REVISION_GONE' } },
  { name: 'finishes a switch interrupted before the preview was cleared', goal: Goal.Rollout, state: null, observed: observed({ 6: 'ready', 7: 'ready' }, { 7: 100 }, { 7: 100 }), at: 0, expected: { actions: ['weights preview {}'], phase: 'switched', wait: undefined } },
  { name: 'starts the scale-down delay before it retires blue', goal: Goal.Retire, state: progress('switched', 1, T0), observed: observed({ 6: 'ready', 7: 'ready' }, { 7: 100 }), at: 0, expected: { actions: [], phase: 'scaling-down', wait: 30_000 } },
  { name: 'waits only what is left of the stored scale-down delay', goal: Goal.Retire, state: progress('scaling-down', 0, T0), observed: observed({ 6: 'ready', 7: 'ready' }, { 7: 100 }), at: 10_000, expected: { actions: [], phase: 'scaling-down', wait: 20_000 } },
  { name: 'stops blue once the delay has passed', goal: Goal.Retire, state: progress('scaling-down', 0, T0), observed: observed({ 6: 'ready', 7: 'ready' }, { 7: 100 }), at: 30_000, expected: { actions: ['stop r6'], phase: 'retired', wait: undefined } },
  { name: 'refuses to retire blue while it serves', goal: Goal.Retire, state: null, observed: observed({ 6: 'ready', 7: 'ready' }, { 6: 100 }), at: 0, expected: { error: 'REVISION_STILL_SERVING' } },
  { name: 'rolls back in one pass: main on blue, preview cleared, green stopped', goal: Goal.Rollback, state: progress('preview-checked', 0, T0), observed: observed({ 6: 'ready', 7: 'ready' }, { 7: 100 }, { 7: 100 }), at: 0, expected: { actions: ['weights main {"6":100}', 'weights preview {}', 'stop r7'], phase: 'rolled-back', wait: undefined } },
  { name: 'does not roll back onto blue that crash-loops', goal: Goal.Rollback, state: null, observed: observed({ 6: 'crash-loop', 7: 'ready' }, { 7: 100 }), at: 0, expected: { error: 'REVISION_CRASH_LOOP' } },
];

describe('BlueGreenStrategy.reconcile: (state, observed) → actions', () => {
  it.each(rows)('$name', (row) => {
    const run = () => new BlueGreenStrategy().reconcile(input({ goal: row.goal, config: BLUE_GREEN, progress: row.state, observed: row.observed, now: T0 + row.at }));
    if ('error' in row.expected) {
      const error: unknown = (() => { try { run(); return undefined; } catch (e: unknown) { return e; } })();
      expect(error).toBeInstanceOf(GantryError);
      expect((error as GantryError).code).toBe(row.expected.error);
      return;
    }
    const result = run();
    expect(result.actions.map(short)).toEqual(row.expected.actions);
    expect(result.next.phase).toBe(row.expected.phase);
    expect(result.wait).toBe(row.expected.wait);
  });
});

describe('blue-green retire on a fake clock', () => {
  it('a control plane restarted during the scale-down delay waits only what is left of it', async () => {
    const clock = new FakeClock();
    const fake = new FakeTarget('production', 'api').serving(6);
    const ctx: StrategyContext = {
      target: fake, spec: { ...SPEC, replicas: 1 }, previous: 6, config: BLUE_GREEN, readyDeadlineMs: 10_000, signal: new AbortController().signal,
      log: () => undefined, now: () => clock.now(), sleep: (ms, signal) => clock.sleep(ms, signal), preSwitchCheck: fake.preSwitchCheck,
    };
    const rollout = await reconcilePass(new BlueGreenStrategy(), Goal.Rollout, ctx, null);
    expect(rollout.wait).toBeUndefined();
    const first = await reconcilePass(new BlueGreenStrategy(), Goal.Retire, ctx, rollout.progress);
    expect(first.wait).toBe(30_000);
    // Down for 20 s; the next pass reads only the stored progress.
    await clock.advance(20_000);
    const resumed = await reconcilePass(new BlueGreenStrategy(), Goal.Retire, ctx, JSON.parse(JSON.stringify(first.progress)) as RolloutProgress);
    expect([resumed.wait, fake.phase(6)]).toEqual([10_000, 'ready']);
    await clock.advance(10_000);
    const done = await reconcilePass(new BlueGreenStrategy(), Goal.Retire, ctx, resumed.progress);
    expect([done.wait, fake.phase(6), fake.changes().at(-1)]).toEqual([undefined, 'stopped', 'stop r6']);
  });
});
