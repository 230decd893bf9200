import type { Logger } from 'pino';
import { BackendHealth, DEFAULT_OUTLIER_POLICY, type OutlierPolicy } from './backend-health.js';
import type { BackendEntry } from './backend-set.js';

/** How recently another backend must have answered for a silent one to count as hung. */
const ANSWERING_WINDOW_DEADLINES = 10;

/**
 * Passive ejection for one route: counts each backend's failures before any response byte
 * (refused or reset connections, first-byte deadlines missed while the others answer), takes a
 * backend out of the picker after enough in a row, and lets it back on trial when its period ends.
 * It never ejects the last backend that still serves: a chance of an answer beats a certain 503.
 * A sweep every tenth of the deadline (unref'd) does the clock work, so the hot path reads no timer.
 */
export class OutlierDetector {
  private readonly states = new Map<string, BackendHealth>();
  private entries: readonly BackendEntry[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly routeId: string,
    private readonly logger: Logger,
    readonly policy: OutlierPolicy = DEFAULT_OUTLIER_POLICY,
  ) {}

  /** The backend's state, kept while its id stays on the route with the same url (a new process on a new port starts clean). */
  healthOf(id: string, url: string): BackendHealth {
    let state = this.states.get(id);
    if (state === undefined || state.url !== url) {
      state = new BackendHealth(url);
      this.states.set(id, state);
    }
    return state;
  }

  /** The route's new backend set: states of ids no longer in it are dropped; the sweep runs only while there is a choice. */
  track(entries: readonly BackendEntry[]): void {
    this.entries = entries;
    const ids = new Set(entries.map((e) => e.backend.id));
    for (const id of [...this.states.keys()]) if (!ids.has(id)) this.states.delete(id);
    const tracked = entries.some((e) => e.tracked);
    if (tracked && this.timer === undefined) {
      this.timer = setInterval(() => this.sweep(), Math.max(50, this.policy.firstByteDeadlineMs / 10));
      this.timer.unref();
    } else if (!tracked) {
      this.close();
    }
  }

  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** A request to `entry` failed before any response byte (connection refused, reset, timeout). */
  failed(entry: BackendEntry): void {
    if (!entry.tracked || entry.health.ejected) return;
    if (entry.health.failed(this.policy)) this.eject(entry, 'failed before answering');
  }

  private eject(entry: BackendEntry, why: string): void {
    const serving = this.entries.some((e) => e !== entry && e.backend.weight > 0 && !e.health.ejected);
    if (!serving) {
      // Said once per streak: a route whose every backend is down would otherwise log each request.
      if (!entry.health.keptAsLast) this.logger.warn({ route: this.routeId, backend: entry.backend.id }, `backend ${why}, kept in: it is the last one serving the route`);
      entry.health.keptAsLast = true;
      return;
    }
    const health = entry.health;
    const trial = health.onTrial;
    const failures = health.failures;
    const forMs = health.eject(performance.now(), this.policy);
    const how = trial ? 'on its trial after an ejection' : `${failures} times in a row`;
    this.logger.warn({ route: this.routeId, backend: entry.backend.id, ejectedForMs: forMs, ejections: health.ejections }, `backend ${why} ${how}: ejected for ${forMs} ms`);
    for (const waiter of [...health.waiting]) waiter.abandon();
  }

  private sweep(): void {
    const now = performance.now();
    const deadline = this.policy.firstByteDeadlineMs;
    for (const entry of this.entries) {
      const health = entry.health;
      if (health.readmitIfDue(now)) {
        this.logger.info({ route: this.routeId, backend: entry.backend.id }, 'ejection period over: backend back on trial');
      }
      if (health.ejected || !entry.tracked) continue;
      for (const waiter of [...health.waiting]) {
        const due = Math.floor((now - waiter.startedAt) / deadline);
        // Oldest first: once one is within its deadline, so are all after it.
        if (due < 1) break;
        if (due <= waiter.deadlinesCounted) continue;
        // It answered something since this request left: slow here, not hung.
        if (health.lastAnswerAt > waiter.startedAt || !this.othersAnswering(entry, now)) continue;
        const missed = due - waiter.deadlinesCounted;
        waiter.deadlinesCounted = due;
        for (let i = 0; i < missed && !health.ejected; i++) {
          if (health.failed(this.policy)) this.eject(entry, `sent no response byte within ${deadline} ms`);
        }
        if (health.ejected) break;
      }
    }
  }

  /** Another serving backend answered lately and has nothing waiting past the deadline: the route works, this one does not. */
  private othersAnswering(entry: BackendEntry, now: number): boolean {
    const deadline = this.policy.firstByteDeadlineMs;
    return this.entries.some((e) => {
      if (e === entry || e.backend.weight <= 0 || e.health.ejected) return false;
      if (e.health.lastAnswerAt < now - deadline * ANSWERING_WINDOW_DEADLINES) return false;
      const oldest = e.health.oldestWaiting();
      return oldest === undefined || now - oldest.startedAt < deadline;
    });
  }
}
