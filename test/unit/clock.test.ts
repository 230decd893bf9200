import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { systemClock } from '../../src/kernel/clock.js';
import { FakeClock } from '../../src/kernel/fake-clock.js';

// The same promises from both clocks: code written against Clock behaves alike under either.
describe.each([
  ['systemClock', () => systemClock],
  ['FakeClock (auto-advancing)', () => new FakeClock()],
])('%s.sleep', (_name, make) => {
  const withClock = async (run: (clock: ReturnType<typeof make>) => Promise<void>): Promise<void> => {
    const clock = make();
    const stop = clock instanceof FakeClock ? clock.autoAdvance() : async () => undefined;
    try {
      await run(clock);
    } finally {
      await stop();
    }
  };

  it('leaves no abort listener behind after each wait, however many waits share the signal', () =>
    withClock(async (clock) => {
      const controller = new AbortController();
      for (let i = 0; i < 50; i++) await clock.sleep(0, controller.signal);
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    }));

  it('rejects with the signal reason when aborted mid-wait, and removes its listener', () =>
    withClock(async (clock) => {
      const controller = new AbortController();
      const reason = new Error('cancelled by a person');
      // Real: a minute nobody waits for. Fake: an hour the auto-advance would skip unless something else is set first.
      const waiting = clock.sleep(60_000, controller.signal);
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
      controller.abort(reason);
      await expect(waiting).rejects.toBe(reason);
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    }));

  it('rejects at once on a signal that is already aborted', () =>
    withClock(async (clock) => {
      const controller = new AbortController();
      controller.abort(new Error('lease lost'));
      await expect(clock.sleep(60_000, controller.signal)).rejects.toThrow('lease lost');
    }));
});

describe('systemClock timers', () => {
  it('runs a timeout once and an interval until cancelled; a cancelled timeout never runs', async () => {
    const seen: string[] = [];
    const cancelled = systemClock.setTimeout(() => seen.push('cancelled'), 0);
    cancelled.cancel();
    let ticks = 0;
    const interval = systemClock.setInterval(() => (ticks += 1), 1);
    await new Promise<void>((resolve) => systemClock.setTimeout(resolve, 0, { ref: false }));
    while (ticks < 3) await systemClock.sleep(1);
    interval.cancel();
    const stoppedAt = ticks;
    await systemClock.sleep(20);
    expect(ticks).toBe(stoppedAt);
    expect(seen).toEqual([]);
  });
});
