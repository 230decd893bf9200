import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { StrategyConfig } from '../../src/config/types.js';
import { GantryError, HealthCheckError, InternalError, TargetError, TimeoutError } from '../../src/errors/index.js';
import { BlueGreenStrategy, RollingStrategy, shares, strategyFor } from '../../src/strategies/index.js';
import { Goal, reconcileToEnd } from '../../src/strategies/index.js';
import type { Strategy, StrategyContext } from '../../src/strategies/index.js';
import { FakeTarget } from '../support/fake-target.js';
import type { RevisionScript } from '../support/fake-target.js';

const ROLLING: StrategyConfig = { kind: 'rolling', maxSurge: 1, maxUnavailable: 0 };
const BLUE_GREEN: StrategyConfig = { kind: 'blue-green', scaleDownDelayMs: 30_000, previewPortOffset: 100 };
const BOTH = [ROLLING, BLUE_GREEN];

interface Setup {
  readonly revision?: number;
  readonly previous?: number | undefined;
  readonly replicas?: number;
  readonly config?: StrategyConfig;
}

/** A context over the fake with an injected clock: sleep only moves `now` and notes itself in the calls. */
function contextFor(fake: FakeTarget, setup: Setup = {}): { ctx: StrategyContext; slept: number[]; logs: string[]; cancel: AbortController } {
  let now = 0;
  const cancel = new AbortController();
  const slept: number[] = [];
  const logs: string[] = [];
  const revision = setup.revision ?? 7;
  const ctx: StrategyContext = {
    target: fake,
    spec: {
      environment: fake.environment,
      service: fake.service,
      revision,
      release: 'c0ffee1234567890',
      artifact: { digest: 'sha256:abc', ref: 'oci-layout:/tmp/layout@sha256:abc' },
      command: 'node server.js',
      env: {},
      secretKeys: [],
      replicas: setup.replicas ?? 1,
      health: { path: '/health', expectStatus: 200, intervalMs: 1000, timeoutMs: 500 },
    },
    previous: 'previous' in setup ? setup.previous : revision - 1,
    config: setup.config ?? ROLLING,
    readyDeadlineMs: 10_000,
    signal: cancel.signal,
    log: (line) => logs.push(line),
    now: () => now,
    sleep: async (ms, signal) => {
      signal.throwIfAborted();
      slept.push(ms);
      fake.calls.push(`sleep ${ms}`);
      now += ms;
    },
    preSwitchCheck: fake.preSwitchCheck,
  };
  return { ctx, slept, logs, cancel };
}

/** Each goal driven to its end in process, sleeping on the injected clock between passes (the deploy steps hand the waits to the executor instead). */
const rollout = (strategy: Strategy, ctx: StrategyContext): Promise<unknown> => reconcileToEnd(strategy, Goal.Rollout, ctx);
const retire = (strategy: Strategy, ctx: StrategyContext): Promise<unknown> => reconcileToEnd(strategy, Goal.Retire, ctx);
const rollback = (strategy: Strategy, ctx: StrategyContext, reason: string): Promise<unknown> => reconcileToEnd(strategy, Goal.Rollback, ctx, { reason });

async function failure(promise: Promise<unknown>): Promise<GantryError> {
  const error: unknown = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(GantryError);
  return error as GantryError;
}

const mainWeights = (fake: FakeTarget): string[] => fake.calls.filter((c) => c.startsWith('weights main'));
const count = (fake: FakeTarget, call: string): number => fake.calls.filter((c) => c === call).length;
/** The main route's entries that carry traffic (a zero weight is no traffic). */
const liveMain = (fake: FakeTarget): [string, number][] => Object.entries(fake.route('main')).filter(([, weight]) => weight > 0);

describe('RollingStrategy', () => {
  it('starts a single replica without traffic, waits until it is ready, then gives it all main traffic while the previous keeps running', async () => {
    const fake = new FakeTarget().serving(6).script(7, { readyAfter: 2 });
    const { ctx } = contextFor(fake);
    await rollout(new RollingStrategy(), ctx);
    expect(fake.changes()).toEqual(['start r7', 'sleep 500', 'sleep 500', 'weights main {"6":0,"7":100}']);
    expect(fake.phase(6)).toBe('ready');
  });

  it('moves main traffic in ceil(replicas / maxSurge) batches, one health interval apart', async () => {
    const fake = new FakeTarget().serving(6);
    await rollout(new RollingStrategy(), contextFor(fake, { replicas: 4 }).ctx);
    expect(mainWeights(fake)).toEqual(['weights main {"6":75,"7":25}', 'weights main {"6":50,"7":50}', 'weights main {"6":25,"7":75}', 'weights main {"6":0,"7":100}']);
    expect(fake.changes().filter((c) => c.startsWith('sleep'))).toEqual(['sleep 1000', 'sleep 1000', 'sleep 1000']);
    expect(shares(5, 2, 6)).toEqual([40, 80, 100]);
    expect(shares(3, 0, 6)).toEqual([33, 67, 100]);
  });

  it('stops the shift when the new revision crashes between batches, and rollback gives the previous all traffic again', async () => {
    const fake = new FakeTarget().serving(6).script(7, { breaksAfter: { checks: 2, phase: 'crashed' } });
    const { ctx } = contextFor(fake, { replicas: 4 });
    const error = await failure(rollout(new RollingStrategy(), ctx));
    expect(error).toBeInstanceOf(HealthCheckError);
    expect(error.code).toBe('REVISION_UNHEALTHY');
    expect(fake.route('main')).toEqual({ 6: 50, 7: 50 });
    await rollback(new RollingStrategy(), ctx, 'r7 crashed');
    expect(fake.changes().slice(-2)).toEqual(['weights main {"6":100}', 'stop r7']);
    expect(fake.route('main')).toEqual({ 6: 100 });
    expect(fake.violations).toEqual([]);
  });

  it('moves the rest of main traffic at once when the previous revision stops being ready mid-shift', async () => {
    // r6 is seen ready by the look before the start and by the one that finds r7 ready, then breaks.
    const fake = new FakeTarget().serving(6, { breaksAfter: { checks: 2, phase: 'unhealthy' } });
    const { ctx, logs } = contextFor(fake, { replicas: 4 });
    await rollout(new RollingStrategy(), ctx);
    expect(mainWeights(fake)).toEqual(['weights main {"6":75,"7":25}', 'weights main {"6":0,"7":100}']);
    expect(logs).toContain('previous r6 is unhealthy: moving all of nest-api main route to r7 at once');
  });

  it('resumes an interrupted shift from the share the target already has, without starting again', async () => {
    const fake = new FakeTarget().serving(6).crashBefore('weights main {"6":50,"7":50}');
    const { ctx } = contextFor(fake, { replicas: 4 });
    await expect(rollout(new RollingStrategy(), ctx)).rejects.toThrow(/simulated/);
    fake.calls.length = 0;
    await rollout(new RollingStrategy(), ctx);
    expect(mainWeights(fake)).toEqual(['weights main {"6":50,"7":50}', 'weights main {"6":25,"7":75}', 'weights main {"6":0,"7":100}']);
    expect(count(fake, 'start r7')).toBe(0);
  });
});

describe('BlueGreenStrategy', () => {
  it('starts green, previews it, checks it on the preview URL, switches main in one call, then clears the preview', async () => {
    const fake = new FakeTarget().serving(6);
    const { ctx, logs } = contextFor(fake, { config: BLUE_GREEN });
    await rollout(new BlueGreenStrategy(), ctx);
    expect(fake.changes()).toEqual(['start r7', 'weights preview {"7":100}', 'check http://127.0.0.1:14100', 'weights main {"7":100}', 'weights preview {}']);
    const previewAt = fake.calls.indexOf('weights preview {"7":100}');
    expect(fake.calls[previewAt - 1]).toBe('describe r6=ready r7=ready');
    expect(fake.phase(6)).toBe('ready');
    expect(logs).toContain('green r7 ready on :15070');
    expect(logs).toContain('switched nest-api main route: r6 → r7; blue r6 keeps running until retire');
  });

  it('waits the scale-down delay on retire before it stops blue', async () => {
    const fake = new FakeTarget().serving(6);
    const { ctx, slept } = contextFor(fake, { config: BLUE_GREEN });
    await rollout(new BlueGreenStrategy(), ctx);
    expect(count(fake, 'stop r6')).toBe(0);
    await retire(new BlueGreenStrategy(), ctx);
    expect(slept).toEqual([30_000]);
    expect(fake.changes().slice(-2)).toEqual(['sleep 30000', 'stop r6']);
  });

  it('refuses to retire blue while it still serves main traffic', async () => {
    const fake = new FakeTarget().serving(6);
    const error = await failure(retire(new BlueGreenStrategy(), contextFor(fake, { config: BLUE_GREEN }).ctx));
    expect(error).toBeInstanceOf(TargetError);
    expect(error.code).toBe('REVISION_STILL_SERVING');
    expect(fake.phase(6)).toBe('ready');
  });

  it('fails the rollout and never moves main traffic when the pre-switch checks fail', async () => {
    const fake = new FakeTarget().serving(6).script(7, { failsChecks: true });
    const { ctx } = contextFor(fake, { config: BLUE_GREEN });
    const error = await failure(rollout(new BlueGreenStrategy(), ctx));
    expect(error).toBeInstanceOf(HealthCheckError);
    expect(error.code).toBe('PRE_SWITCH_CHECK_FAILED');
    expect((error.cause as Error).message).toContain('500');
    expect(mainWeights(fake)).toEqual([]);
    await rollback(new BlueGreenStrategy(), ctx, 'smoke tests failed');
    expect(fake.changes().slice(-2)).toEqual(['weights preview {}', 'stop r7']);
    expect(mainWeights(fake)).toEqual([]);
  });

  it('does not switch to green when it broke while the pre-switch checks ran', async () => {
    const fake = new FakeTarget().serving(6).script(7, { breaksAfter: { checks: 1, phase: 'unhealthy' } });
    const error = await failure(rollout(new BlueGreenStrategy(), contextFor(fake, { config: BLUE_GREEN }).ctx));
    expect(error).toBeInstanceOf(HealthCheckError);
    expect(error.code).toBe('REVISION_UNHEALTHY');
    expect(mainWeights(fake)).toEqual([]);
  });

  it('rolls back by putting main traffic on blue in one call, then stopping green', async () => {
    const fake = new FakeTarget().serving(6);
    const { ctx } = contextFor(fake, { config: BLUE_GREEN });
    await rollout(new BlueGreenStrategy(), ctx);
    fake.calls.length = 0;
    await rollback(new BlueGreenStrategy(), ctx, 'error rate 12 % during the watch');
    expect(fake.changes()).toEqual(['weights main {"6":100}', 'stop r7']);
    expect(fake.route('main')).toEqual({ 6: 100 });
  });

  it('resumes a rollout interrupted before clearing the preview without starting or switching again', async () => {
    const fake = new FakeTarget().serving(6).crashBefore('weights preview {}');
    const { ctx } = contextFor(fake, { config: BLUE_GREEN });
    await expect(rollout(new BlueGreenStrategy(), ctx)).rejects.toThrow(/simulated/);
    fake.calls.length = 0;
    await rollout(new BlueGreenStrategy(), ctx);
    expect(fake.changes()).toEqual(['weights preview {}']);
  });
});

describe.each(BOTH)('$kind strategy', (config) => {
  const strategy = (): ReturnType<typeof strategyFor> => strategyFor(config);

  it('times out with REVISION_NOT_READY and the last error when the revision never becomes ready', async () => {
    const fake = new FakeTarget().serving(6).script(7, { neverReady: true, lastError: 'GET /health: connection refused' });
    const { ctx, slept } = contextFor(fake, { config });
    const error = await failure(rollout(strategy(), ctx));
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error.code).toBe('REVISION_NOT_READY');
    expect(error.message).toContain('connection refused');
    expect(error.details).toMatchObject({ revision: 7, phase: 'starting', lastError: 'GET /health: connection refused' });
    expect(slept.reduce((a, b) => a + b, 0)).toBe(ctx.readyDeadlineMs);
    expect(fake.route('main')).toEqual({ 6: 100 });
  });

  it('fails at once with REVISION_CRASH_LOOP when the revision crash-loops', async () => {
    const fake = new FakeTarget().serving(6).script(7, { crashLoop: true });
    const { ctx, slept } = contextFor(fake, { config });
    const error = await failure(rollout(strategy(), ctx));
    expect(error).toBeInstanceOf(HealthCheckError);
    expect(error.code).toBe('REVISION_CRASH_LOOP');
    expect(error.message).toContain('exited with code 1');
    expect(slept).toEqual([]);
  });

  it('does not roll back onto a previous revision that is not ready, and keeps the new one serving', async () => {
    const fake = new FakeTarget().serving(6, { breaksAfter: { checks: 1, phase: 'crash-loop' } });
    const { ctx } = contextFor(fake, { config });
    await rollout(strategy(), ctx);
    const error = await failure(rollback(strategy(), ctx, 'watch failed'));
    expect(error.code).toBe('REVISION_CRASH_LOOP');
    expect([liveMain(fake), fake.phase(7), count(fake, 'stop r7')]).toEqual([[['7', 100]], 'ready', 0]);
  });

  it('stops waiting for readiness when the run is cancelled', async () => {
    const fake = new FakeTarget().serving(6).script(7, { neverReady: true });
    const { ctx, cancel } = contextFor(fake, { config });
    const pending = rollout(strategy(), ctx);
    cancel.abort(new Error('cancelled by alice'));
    await expect(pending).rejects.toThrow('cancelled by alice');
    expect(mainWeights(fake)).toEqual([]);
  });

  it('repeats every method after it completed without any further start, stop or weight change', async () => {
    const fake = new FakeTarget().serving(6);
    const { ctx } = contextFor(fake, { config, replicas: 3 });
    const state = (): unknown => [fake.changes(), fake.route('main'), fake.route('preview'), fake.phase(6), fake.phase(7)];
    await rollout(strategy(), ctx);
    const afterRollout = state();
    await rollout(strategy(), ctx);
    expect(state()).toEqual(afterRollout);
    await retire(strategy(), ctx);
    const afterRetire = state();
    await retire(strategy(), ctx);
    expect(state()).toEqual(afterRetire);
    expect([count(fake, 'start r7'), count(fake, 'stop r6'), fake.phase(6), fake.route('main')[7]]).toEqual([1, 1, 'stopped', 100]);
  });

  it('repeats a rollback: traffic already back on the previous revision, it still stops the new one once', async () => {
    const fake = new FakeTarget().serving(6).crashBefore('stop r7');
    const { ctx } = contextFor(fake, { config });
    await rollout(strategy(), ctx);
    await expect(rollback(strategy(), ctx, 'watch failed')).rejects.toThrow(/simulated/);
    await rollback(strategy(), ctx, 'watch failed');
    await rollback(strategy(), ctx, 'watch failed');
    expect(mainWeights(fake).filter((c) => c === 'weights main {"6":100}')).toHaveLength(1);
    expect([count(fake, 'stop r7'), fake.phase(7), fake.route('main')]).toEqual([1, 'stopped', { 6: 100 }]);
  });

  it('brings a first deploy up with all main traffic, and rolling it back leaves the route without weights', async () => {
    const fake = new FakeTarget();
    const { ctx } = contextFor(fake, { config, previous: undefined, replicas: 4 });
    await rollout(strategy(), ctx);
    expect(fake.route('main')).toEqual({ 7: 100 });
    await retire(strategy(), ctx);
    await rollback(strategy(), ctx, 'smoke failed');
    expect([fake.route('main'), fake.phase(7), count(fake, 'stop r7')]).toEqual([{}, 'stopped', 1]);
  });

  it('treats a config of the other kind as a bug', async () => {
    const other = config.kind === 'rolling' ? new BlueGreenStrategy() : new RollingStrategy();
    await expect(rollout(other, contextFor(new FakeTarget(), { config }).ctx)).rejects.toBeInstanceOf(InternalError);
    expect(strategy().kind).toBe(config.kind);
  });
});

const scripts: fc.Arbitrary<RevisionScript> = fc.record(
  {
    readyAfter: fc.nat(4),
    neverReady: fc.boolean(),
    crashLoop: fc.boolean(),
    breaksAfter: fc.record({ checks: fc.nat(4), phase: fc.constantFrom('unhealthy' as const, 'crashed' as const, 'crash-loop' as const) }),
    failsChecks: fc.boolean(),
  },
  { requiredKeys: [] },
);
const configs: fc.Arbitrary<StrategyConfig> = fc.oneof(fc.nat(3).map((maxSurge): StrategyConfig => ({ kind: 'rolling', maxSurge, maxUnavailable: 0 })), fc.constant(BLUE_GREEN));

describe('every strategy, whatever the new revision does', () => {
  it('leaves main on exactly one ready revision at 100 after rollout-or-rollback (none after a failed first deploy)', async () => {
    await fc.assert(
      fc.asyncProperty(scripts, configs, fc.integer({ min: 1, max: 5 }), fc.boolean(), async (script, config, replicas, first) => {
        const fake = new FakeTarget().script(2, script);
        if (!first) fake.serving(1);
        const { ctx } = contextFor(fake, { revision: 2, previous: first ? undefined : 1, replicas, config });
        const strategy = strategyFor(config);
        const failed = await rollout(strategy, ctx).then(() => false, (error: unknown) => error);
        if (failed) {
          expect(failed).toBeInstanceOf(GantryError);
          await rollback(strategy, ctx, 'rollout failed');
          expect(fake.phase(2)).toBe('stopped');
        }
        expect(fake.violations).toEqual([]);
        const live = liveMain(fake);
        if (failed && first) {
          expect(live).toEqual([]);
        } else {
          expect(live).toEqual([[failed ? '1' : '2', 100]]);
          expect(fake.phase(Number(live[0]?.[0]))).toBe('ready');
        }
        if (!first) expect(fake.phase(1)).toBe('ready');
      }),
      { numRuns: 300 },
    );
  });
});

describe('what a strategy needs of its target', () => {
  /** A target whose routing lacks what it is told to lack; everything else as the fake does it. */
  function lacking(missing: 'weightedRouting' | 'preview'): FakeTarget {
    const fake = new FakeTarget().serving(6);
    const has = fake.capabilities();
    fake.capabilities = () => ({ ...has, [missing]: false });
    return fake;
  }

  it('refuses blue-green on a target without a preview route before anything starts', async () => {
    const fake = lacking('preview');
    const error = await failure(rollout(new BlueGreenStrategy(), contextFor(fake, { config: BLUE_GREEN }).ctx));
    expect(error).toBeInstanceOf(TargetError);
    expect(error.code).toBe('TARGET_CAPABILITY_MISSING');
    expect(error.message).toContain('preview');
    expect(fake.changes()).toEqual([]);
  });

  it('refuses rolling on a target that cannot split a route by weight, and takes blue-green there', async () => {
    const fake = lacking('weightedRouting');
    const error = await failure(rollout(new RollingStrategy(), contextFor(fake, { replicas: 4 }).ctx));
    expect(error.code).toBe('TARGET_CAPABILITY_MISSING');
    expect(fake.changes()).toEqual([]);
    await rollout(new BlueGreenStrategy(), contextFor(fake, { config: BLUE_GREEN }).ctx);
    expect(liveMain(fake)).toEqual([['7', 100]]);
  });
});
