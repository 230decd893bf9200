import type { BackoffPolicy, CrashLoopPolicy } from './options.js';

/**
 * Decides, after a process exited, whether and when to restart it. The delay doubles with each
 * restart still inside the crash-loop window, so a process that ran fine for a while starts again
 * from the initial delay without a separate reset rule.
 */
export class RestartBackoff {
  private readonly restarts: number[] = [];

  constructor(
    private readonly backoff: BackoffPolicy,
    private readonly crashLoop: CrashLoopPolicy,
  ) {}

  /** Restarts made within the window that ends at `now`. */
  recent(now: number): number {
    while (this.restarts.length > 0 && (this.restarts[0] ?? now) <= now - this.crashLoop.windowMs) this.restarts.shift();
    return this.restarts.length;
  }

  /** The delay before the next restart, or null when the restart budget of the window is spent. */
  nextDelay(now: number): number | null {
    const recent = this.recent(now);
    if (recent >= this.crashLoop.maxRestarts) return null;
    return Math.min(this.backoff.initialMs * 2 ** recent, this.backoff.maxMs);
  }

  record(now: number): void {
    this.restarts.push(now);
  }
}
