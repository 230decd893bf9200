import { describe, expect, it } from 'vitest';
import { FAKE_CLOCK_START, FakeClock } from '../../src/kernel/fake-clock.js';

describe('FakeClock', () => {
  it('starts at a fixed time and moves only when advanced', async () => {
    const clock = new FakeClock();
    expect(clock.now()).toBe(FAKE_CLOCK_START);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(clock.now()).toBe(FAKE_CLOCK_START);
    await clock.advance(1_500);
    expect(clock.now()).toBe(FAKE_CLOCK_START + 1_500);
  });

  it('runs the timers due by the target in order, each at its own time, and no later one', async () => {
    const clock = new FakeClock(0);
    const fired: [string, number][] = [];
    const at = (name: string) => () => fired.push([name, clock.now()]);
    clock.setTimeout(at('c'), 300);
    clock.setTimeout(at('a'), 100);
    clock.setTimeout(at('b'), 100);
    clock.setTimeout(at('late'), 1_001);
    await clock.advance(1_000);
    // Same due time: in the order they were set.
    expect(fired).toEqual([['a', 100], ['b', 100], ['c', 300]]);
    expect(clock.now()).toBe(1_000);
    expect(clock.pending()).toEqual([1_001]);
  });

  it('lets the promise chain a timer starts run before the next timer, so a chain of sleeps completes in one advance', async () => {
    const clock = new FakeClock(0);
    const woke: number[] = [];
    const chain = (async () => {
      for (let i = 0; i < 3; i++) {
        await clock.sleep(100);
        woke.push(clock.now());
      }
    })();
    clock.setTimeout(() => woke.push(-clock.now()), 250);
    await clock.advance(300);
    await chain;
    expect(woke).toEqual([100, 200, -250, 300]);
  });

  it('repeats an interval at its period until cancelled, and never runs a cancelled timeout', async () => {
    const clock = new FakeClock(0);
    const ticks: number[] = [];
    const interval = clock.setInterval(() => ticks.push(clock.now()), 40);
    const never = clock.setTimeout(() => ticks.push(-1), 50);
    never.cancel();
    never.cancel();
    await clock.advance(130);
    interval.cancel();
    await clock.advance(1_000);
    expect(ticks).toEqual([40, 80, 120]);
    expect(clock.pending()).toEqual([]);
  });

  it('runNext jumps straight to the next timer and says when there is none', async () => {
    const clock = new FakeClock(0);
    let fired = false;
    clock.setTimeout(() => (fired = true), 3_600_000);
    expect(await clock.runNext()).toBe(true);
    expect(fired).toBe(true);
    expect(clock.now()).toBe(3_600_000);
    expect(await clock.runNext()).toBe(false);
  });

  it('auto-advance skips the waits of code that only waits on the clock: an hour of backoff passes at once, in order', async () => {
    const clock = new FakeClock(0);
    const stop = clock.autoAdvance();
    try {
      const attempts: number[] = [];
      // A retry loop with doubling delays, as the notifier's and the supervisor's are.
      for (let delay = 60_000; delay <= 1_920_000; delay *= 2) {
        attempts.push(clock.now());
        await clock.sleep(delay);
      }
      expect(attempts).toEqual([0, 60_000, 180_000, 420_000, 900_000, 1_860_000]);
      expect(clock.now()).toBe(3_780_000);
    } finally {
      await stop();
    }
  });

  it('auto-advance waits while the code is still busy (timers being set), and jumps only once it is idle', async () => {
    const clock = new FakeClock(0);
    const stop = clock.autoAdvance({ idleTurns: 3 });
    try {
      const long = clock.sleep(10_000).then(() => clock.now());
      // Busy for many real turns, each setting and cancelling a timer: time must not move meanwhile.
      for (let i = 0; i < 30; i++) {
        clock.setTimeout(() => undefined, 1).cancel();
        await new Promise((resolve) => setImmediate(resolve));
        expect(clock.now()).toBe(0);
      }
      expect(await long).toBe(10_000);
    } finally {
      await stop();
    }
  });

  it('an aborted sleep removes its timer, so auto-advance does not skip to it', async () => {
    const clock = new FakeClock(0);
    const controller = new AbortController();
    const waiting = clock.sleep(5_000, controller.signal);
    expect(clock.pending()).toEqual([5_000]);
    controller.abort(new Error('stop'));
    await expect(waiting).rejects.toThrow('stop');
    expect(clock.pending()).toEqual([]);
  });
});
