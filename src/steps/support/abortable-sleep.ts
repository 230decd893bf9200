/**
 * Waits `ms`, or rejects with `signal.reason` as soon as the signal aborts. The abort listener is
 * removed when the wait ends either way: a step's signal lives as long as the step, and a watch
 * window or a readiness wait sleeps on it hundreds of times (a listener left behind per sleep was a
 * leak that Node reported as MaxListenersExceededWarning, issue 18).
 */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
