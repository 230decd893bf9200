import { systemClock } from '../../kernel/clock.js';

/**
 * Kept only for the two callers being rewritten at the same time (steps/watch.ts and
 * steps/support/strategy-context.ts); new code sleeps on `ctx.clock.sleep`, which this now is on
 * real time. Remove this file once they have moved (issue 11, item 3).
 */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return systemClock.sleep(ms, signal);
}
