import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { abortableSleep } from '../../src/steps/support/abortable-sleep.js';

describe('abortableSleep', () => {
  it('leaves no abort listener behind after each wait, however many waits share the signal', async () => {
    const controller = new AbortController();
    for (let i = 0; i < 50; i++) await abortableSleep(0, controller.signal);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('rejects with the signal reason when aborted mid-wait, and removes its listener', async () => {
    const controller = new AbortController();
    const reason = new Error('cancelled by a person');
    const waiting = abortableSleep(60_000, controller.signal);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    controller.abort(reason);
    await expect(waiting).rejects.toBe(reason);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('rejects at once on a signal that is already aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('lease lost'));
    await expect(abortableSleep(60_000, controller.signal)).rejects.toThrow('lease lost');
  });
});
