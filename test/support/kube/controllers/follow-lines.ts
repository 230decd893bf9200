import type { ContainerProcess } from './container-process.js';

/** A container's lines from `tailLines` back, then each new one, until it exits or `signal` aborts (kubectl logs -f). */
export async function* followLines(proc: ContainerProcess, tailLines: number, signal: AbortSignal): AsyncIterable<string> {
  const queue: Array<string | undefined> = [];
  let wake: (() => void) | undefined;
  const push = (line: string | undefined): void => {
    queue.push(line);
    wake?.();
  };
  if (tailLines > 0) queue.push(...proc.lines.slice(-tailLines));
  const unfollow = proc.follow(push);
  const onAbort = (): void => push(undefined);
  signal.addEventListener('abort', onAbort);
  try {
    for (;;) {
      if (queue.length > 0) {
        const next = queue.shift();
        // undefined: the process ended (or the follower was aborted).
        if (next === undefined) return;
        yield next;
        continue;
      }
      if (signal.aborted || !proc.running) return;
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    }
  } finally {
    unfollow();
    signal.removeEventListener('abort', onAbort);
  }
}
