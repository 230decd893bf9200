/**
 * Calls `fn` after a change, at most once per `gapMs`: a burst of changes (a busy run moves many
 * steps a second) makes one read, and a page with many viewers asks the server at a bounded rate.
 * The first call waits `settleMs` so changes announced together land in one read.
 */
export function throttled(fn: () => void, gapMs = 1_000, settleMs = 100): { call(): void; cancel(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let last = 0;
  return {
    call() {
      timer ??= setTimeout(
        () => {
          timer = undefined;
          last = Date.now();
          fn();
        },
        Math.max(settleMs, last + gapMs - Date.now()),
      );
    },
    cancel() {
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
  };
}
