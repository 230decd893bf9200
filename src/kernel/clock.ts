/** A scheduled callback; `cancel()` is safe to call more than once and after it has run. */
export interface TimerHandle {
  cancel(): void;
}

export interface TimerOptions {
  /** false: this timer alone does not keep the process alive (Node's `unref`). Default true. */
  readonly ref?: boolean;
}

/**
 * Owns time for everything that waits on a schedule (polls, heartbeats, step timeouts, backoffs,
 * watch windows), so tests and benchmarks skip time with `FakeClock` instead of sleeping. Real I/O
 * timeouts (a socket, a process's kill grace) stay on real timers: fake time would not slow the
 * other side down.
 */
export interface Clock {
  now(): number;
  /** Resolves after `ms`; rejects with `signal.reason` as soon as the signal aborts, and leaves no listener behind. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  setTimeout(callback: () => void, ms: number, options?: TimerOptions): TimerHandle;
  /** Calls `callback` every `ms` until cancelled. */
  setInterval(callback: () => void, ms: number, options?: TimerOptions): TimerHandle;
}

/**
 * The shared body of every clock's `sleep`: the abort listener is removed when the wait ends
 * either way. A step's signal lives as long as the step, and a watch window or a readiness wait
 * sleeps on it hundreds of times (a listener left behind per sleep was a leak that Node reported as
 * MaxListenersExceededWarning, issue 18).
 */
export function sleepOn(clock: Pick<Clock, 'setTimeout'>, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      timer.cancel();
      reject(signal?.reason);
    };
    const timer = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

const handle = (timer: NodeJS.Timeout, clear: (t: NodeJS.Timeout) => void, options?: TimerOptions): TimerHandle => {
  if (options?.ref === false) timer.unref();
  return { cancel: () => clear(timer) };
};

/** Real time and real timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) => sleepOn(systemClock, ms, signal),
  setTimeout: (callback, ms, options) => handle(setTimeout(callback, ms), clearTimeout, options),
  setInterval: (callback, ms, options) => handle(setInterval(callback, ms), clearInterval, options),
};
