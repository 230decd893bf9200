/**
 * Passive health of one backend on one route: what the router learns from the requests it carries
 * (Envoy's outlier detection, HAProxy's `observe layer4`), kept apart from the agent's active probes.
 */

export interface OutlierPolicy {
  /** Failures before any response byte, in a row, that take a backend out of the picker. */
  readonly consecutiveFailures: number;
  /**
   * A request with no response byte after this long counts as one failure of its backend (and one
   * more per further period), but only when that backend answered nothing since the request left
   * and another backend of the route is answering: a hung replica, not a slow endpoint.
   */
  readonly firstByteDeadlineMs: number;
  /** First ejection period; doubled for each ejection in a row, up to `maxEjectionMs`. */
  readonly baseEjectionMs: number;
  readonly maxEjectionMs: number;
}

/**
 * Three failures as HAProxy's `fall 3`; a 1 s first-byte deadline so a hung replica is out within
 * ~1.5 s under load (the target is 2 s); 10 s out at first, as long as the agent's readiness
 * probes usually take to decide, then the probes own it.
 */
export const DEFAULT_OUTLIER_POLICY: OutlierPolicy = Object.freeze({
  consecutiveFailures: 3,
  firstByteDeadlineMs: 1_000,
  baseEjectionMs: 10_000,
  maxEjectionMs: 300_000,
});

/** A request waiting for its first response byte, as the detector sees it (a ProxyExchange). */
export interface Waiter {
  readonly startedAt: number;
  /** First-byte deadlines already counted against the backend for this request. */
  deadlinesCounted: number;
  /** The backend was ejected: retry elsewhere when the request allows it, else keep waiting. */
  abandon(): void;
}

export class BackendHealth {
  /** Failures before any response byte, in a row. */
  failures = 0;
  /** Out of the picker until `ejectedUntil` (performance.now() time). */
  ejected = false;
  ejectedUntil = 0;
  /** Let back in after an ejection: one failure sends it out again, one answer clears it. */
  onTrial = false;
  /** Ejections without a clean trial in between; sets the next period. */
  ejections = 0;
  /** It failed enough to go, but was kept as the last backend serving the route (logged once). */
  keptAsLast = false;
  /** When the backend last sent response headers (performance.now() time). */
  lastAnswerAt = Number.NEGATIVE_INFINITY;
  /** Requests sent to it still without a response byte, oldest first (only on routes with 2+ serving backends). */
  readonly waiting = new Set<Waiter>();

  constructor(readonly url: string) {}

  answered(now: number): void {
    this.failures = 0;
    this.keptAsLast = false;
    this.lastAnswerAt = now;
    if (this.onTrial) {
      this.onTrial = false;
      this.ejections = 0;
    }
  }

  /** Counts one failure; true when the backend should now be ejected. */
  failed(policy: OutlierPolicy): boolean {
    this.failures += 1;
    return this.onTrial || this.failures >= policy.consecutiveFailures;
  }

  /** Takes it out; returns for how long. */
  eject(now: number, policy: OutlierPolicy): number {
    this.ejections += 1;
    const period = Math.min(policy.baseEjectionMs * 2 ** (this.ejections - 1), policy.maxEjectionMs);
    this.ejected = true;
    this.ejectedUntil = now + period;
    this.onTrial = false;
    this.failures = 0;
    return period;
  }

  /** Lets it back in on trial once its period is over; true when that happened now. */
  readmitIfDue(now: number): boolean {
    if (!this.ejected || now < this.ejectedUntil) return false;
    this.ejected = false;
    this.onTrial = true;
    return true;
  }

  /** The oldest request still waiting, if any. */
  oldestWaiting(): Waiter | undefined {
    for (const waiter of this.waiting) return waiter;
    return undefined;
  }
}
