import { describe, expect, it } from 'vitest';
import { GantryError } from '../../../src/errors/index.js';
import { FAKE_CLOCK_START } from '../../../src/kernel/fake-clock.js';
import { CanaryStrategy, Goal } from '../../../src/strategies/index.js';
import type { Goal as GoalName } from '../../../src/strategies/index.js';
import type { RolloutProgress } from '../../../src/domain/deployment.js';
import type { CanaryConfig } from '../../../src/domain/rollout-config.js';
import type { ServiceStatus } from '../../../src/targets/target.js';
import { input, observed, progress, short } from './reconcile-fixtures.js';

const T0 = FAKE_CLOCK_START;
const METRIC = { name: 'errors', provider: 'router' as const, query: 'error-rate', intervalMs: 1_000, count: 3, successCondition: 'result < 0.05', failureLimit: 0, inconclusiveLimit: 0, compare: undefined };
const CANARY: CanaryConfig = {
  kind: 'canary',
  steps: [{ setWeight: 10 }, { analysis: { metrics: [METRIC] } }, { setWeight: 50 }, { pause: { durationMs: 30_000 } }, { pause: { durationMs: undefined } }],
  match: { header: 'x-canary', value: 'always' },
  scaleDownDelayMs: 20_000,
};
const withMatch = (s: ServiceStatus, revision: number): ServiceStatus => ({ ...s, match: { header: 'x-canary', value: 'always', revision } });

interface Row {
  readonly name: string;
  readonly goal: GoalName;
  readonly state: RolloutProgress | null;
  readonly observed: ServiceStatus | undefined;
  readonly at: number;
  readonly previous?: number;
  readonly promotedAt?: number;
  readonly expected: { actions: string[]; phase: string; step?: number; wait: number | undefined } | { error: string };
}

const rows: Row[] = [
  { name: 'starts the canary without traffic', goal: Goal.Rollout, state: null, observed: observed({ 6: 'ready' }, { 6: 100 }), at: 0, expected: { actions: ['start r7'], phase: 'starting', wait: 0 } },
  { name: 'waits for the canary to be ready', goal: Goal.Rollout, state: progress('starting', 0, T0), observed: observed({ 6: 'ready', 7: 'starting' }, { 6: 100 }), at: 1_000, expected: { actions: [], phase: 'starting', wait: 500 } },
  { name: 'once ready, sets the testers\' match rule and begins the steps', goal: Goal.Rollout, state: progress('starting', 0, T0), observed: observed({ 6: 'ready', 7: 'ready' }, { 6: 100 }), at: 1_000, expected: { actions: ['match r7'], phase: 'stepping', step: 0, wait: 0 } },
  { name: 'setWeight moves that share in one call', goal: Goal.Rollout, state: progress('stepping', 0, T0), observed: withMatch(observed({ 6: 'ready', 7: 'ready' }, { 6: 100 }), 7), at: 0, expected: { actions: ['weights main {"6":90,"7":10}'], phase: 'stepping', step: 1, wait: 0 } },
  { name: 'a setWeight already in force is not applied twice', goal: Goal.Rollout, state: progress('stepping', 0, T0), observed: observed({ 6: 'ready', 7: 'ready' }, { 6: 90, 7: 10 }), at: 0, expected: { actions: [], phase: 'stepping', step: 1, wait: 0 } },
  { name: 'an analysis step hands over to the deploy step', goal: Goal.Rollout, state: progress('stepping', 1, T0), observed: observed({ 6: 'ready', 7: 'ready' }, { 6: 90, 7: 10 }), at: 0, expected: { actions: [], phase: 'analysing', step: 1, wait: 500 } },
  { name: 'a timed pause waits its duration as a stored wait', goal: Goal.Rollout, state: progress('stepping', 3, T0), observed: observed({ 6: 'ready', 7: 'ready' }, { 6: 50, 7: 50 }), at: 0, expected: { actions: [], phase: 'paused', step: 3, wait: 30_000 } },
  { name: 'a resumed timed pause waits only what is left', goal: Goal.Rollout, state: progress('paused', 3, T0), observed: observed({ 6: 'ready', 7: 'ready' }, { 6: 50, 7: 50 }), at: 20_000, expected: { actions: [], phase: 'paused', step: 3, wait: 10_000 } },
  { name: 'a timed pause that is over moves on', goal: Goal.Rollout, state: progress('paused', 3, T0), observed: observed({ 6: 'ready', 7: 'ready' }, { 6: 50, 7: 50 }), at: 30_000, expected: { actions: [], phase: 'stepping', step: 4, wait: 0 } },
  { name: 'a pause without duration waits for a promotion', goal: Goal.Rollout, state: progress('paused', 4, T0 + 1_000), observed: observed({ 6: 'ready', 7: 'ready' }, { 6: 50, 7: 50 }), at: 5_000, expected: { actions: [], phase: 'paused', step: 4, wait: 1_000 } },
  { name: 'a promotion made before the pause began does not count', goal: Goal.Rollout, state: progress('paused', 4, T0 + 1_000), observed: observed({ 6: 'ready', 7: 'ready' }, { 6: 50, 7: 50 }), at: 5_000, promotedAt: T0, expected: { actions: [], phase: 'paused', step: 4, wait: 1_000 } },
  { name: 'a promotion during the pause moves on', goal: Goal.Rollout, state: progress('paused', 4, T0 + 1_000), observed: observed({ 6: 'ready', 7: 'ready' }, { 6: 50, 7: 50 }), at: 5_000, promotedAt: T0 + 2_000, expected: { actions: [], phase: 'stepping', step: 5, wait: 0 } },
  { name: 'after the last step the canary takes all traffic and the match rule goes', goal: Goal.Rollout, state: progress('stepping', 5, T0), observed: withMatch(observed({ 6: 'ready', 7: 'ready' }, { 6: 50, 7: 50 }), 7), at: 0, expected: { actions: ['weights main {"7":100}', 'match none'], phase: 'switched', wait: undefined } },
  { name: 'a canary that fails its probes mid-way is aborted, not walked on', goal: Goal.Rollout, state: progress('stepping', 2, T0), observed: observed({ 6: 'ready', 7: 'unhealthy' }, { 6: 90, 7: 10 }), at: 0, expected: { error: 'REVISION_UNHEALTHY' } },
  { name: 'a canary that vanished after it took traffic is not started again', goal: Goal.Rollout, state: progress('stepping', 2, T0), observed: observed({ 6: 'ready' }, { 6: 90, 7: 10 }), at: 0, expected: { error: 'REVISION_GONE' } },
  { name: 'a first deployment has no stable revision: all traffic at once', goal: Goal.Rollout, state: progress('starting', 0, T0), previous: undefined as unknown as number, observed: observed({ 7: 'ready' }, {}), at: 0, expected: { actions: ['weights main {"7":100}'], phase: 'switched', wait: undefined } },
  { name: 'abort: stable takes all traffic, the match rule goes, the canary stops, in one pass', goal: Goal.Rollback, state: progress('analysing', 1, T0), observed: withMatch(observed({ 6: 'ready', 7: 'ready' }, { 6: 90, 7: 10 }), 7), at: 0, expected: { actions: ['match none', 'weights main {"6":100}', 'stop r7'], phase: 'rolled-back', wait: undefined } },
  { name: 'retire waits the scale-down delay, then stops stable', goal: Goal.Retire, state: progress('scaling-down', 0, T0), observed: observed({ 6: 'ready', 7: 'ready' }, { 7: 100 }), at: 20_000, expected: { actions: ['stop r6'], phase: 'retired', wait: undefined } },
];

describe('CanaryStrategy.reconcile: (state, observed) → actions', () => {
  it.each(rows)('$name', (row) => {
    const previous = 'previous' in row ? row.previous : 6;
    const run = () => new CanaryStrategy().reconcile({ ...input({ goal: row.goal, config: CANARY, progress: row.state, observed: row.observed, now: T0 + row.at }), previous, ...(row.promotedAt === undefined ? {} : { promotedAt: row.promotedAt }) });
    if ('error' in row.expected) {
      const error: unknown = (() => { try { run(); return undefined; } catch (e: unknown) { return e; } })();
      expect(error).toBeInstanceOf(GantryError);
      expect((error as GantryError).code).toBe(row.expected.error);
      return;
    }
    const result = run();
    expect(result.actions.map(short)).toEqual(row.expected.actions);
    expect(result.next.phase).toBe(row.expected.phase);
    if (row.expected.step !== undefined) expect(result.next.stepIndex).toBe(row.expected.step);
    expect(result.wait).toBe(row.expected.wait);
  });
});
