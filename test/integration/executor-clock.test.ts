import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/kernel/fake-clock.js';
import { engineHarness, ScriptedStep, step, type Harness } from '../support/engine-harness.js';
import { TempDirs, until } from '../support/temp.js';

const MINUTE = 60_000;

/**
 * The executor's timers (poll, heartbeat, step timeout) run on its Clock, so a fake clock plays a
 * half-hour step in well under a second of real time, and every time below is exact.
 */
describe('the executor on a fake clock', () => {
  const temp = new TempDirs();
  let h: Harness | undefined;
  let stopClock: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await h?.close();
    await stopClock?.();
    h = undefined;
    stopClock = undefined;
    await temp.cleanup();
  });

  it('stops a step at exactly its 30-minute timeout, renewing the step lease all along', async () => {
    const clock = new FakeClock();
    const leaseMs = MINUTE;
    let startedAt = 0;
    let abortedAt = 0;
    const leases: { at: number; expiresAt: number | null }[] = [];
    const slow = new ScriptedStep('slow', async (ctx) => {
      startedAt = clock.now();
      ctx.signal.addEventListener('abort', () => (abortedAt = clock.now()), { once: true });
      // Sleeps on the step's clock, as steps do; every 5 minutes it reads its own row.
      for (;;) {
        await ctx.clock.sleep(5 * MINUTE, ctx.signal);
        const row = (await h?.store.steps.forRun(ctx.run.id))?.[0];
        leases.push({ at: clock.now(), expiresAt: row?.leaseExpiresAt ?? null });
      }
    });
    h = await engineHarness(await temp.make(), [slow], { clock, leaseMs, pollMs: MINUTE });
    stopClock = clock.autoAdvance();
    const id = await h.createRun([step('s', 'slow', [], { timeoutMs: 30 * MINUTE })]);
    const run = await until('the run to end', async () => ((await h?.store.runs.get(id))?.finishedAt ?? null) !== null && h?.store.runs.get(id), 20_000);

    expect(run.state).toBe('failed');
    expect(run.error?.code).toBe('STEP_TIMEOUT');
    const [s] = await h.store.steps.forRun(id);
    expect(s?.error?.message).toContain(`ran longer than ${30 * MINUTE} ms`);
    // Aborted at the timeout to the millisecond, and not recorded before it.
    expect(abortedAt - startedAt).toBe(30 * MINUTE);
    expect(s?.finishedAt).toBeGreaterThanOrEqual(startedAt + 30 * MINUTE);
    // Five looks (at 5, 10 … 25 minutes) before the abort at 30: at each, heartbeats had carried the
    // one-minute lease past the present (without them it would have lapsed at minute 1).
    expect(leases.map((l) => l.at - startedAt)).toEqual([5, 10, 15, 20, 25].map((m) => m * MINUTE));
    for (const lease of leases) expect(lease.expiresAt).toBeGreaterThan(lease.at);
  });
});
