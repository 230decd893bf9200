import type { IncomingMessage, ServerResponse } from 'node:http';
import { TargetError } from '../../errors/index.js';
import type { FaultReport, FaultSpec } from '../../targets/target.js';

/**
 * A route's faults (the target contract's FaultSpec): each request draws once per kind, in this
 * order: its connection reset (no answer), else answered at once with `abort.status` (never
 * forwarded), else forwarded after `latency.ms`. FaultStatus is the contract's FaultReport.
 */
export type { FaultSpec } from '../../targets/target.js';
export type FaultStatus = FaultReport;

/** The longest a fault stays on: a chaos check is minutes, and a forgotten fault must not outlive a day. */
export const MAX_FAULT_DURATION_MS = 60 * 60 * 1000;
export const MAX_FAULT_LATENCY_MS = 60_000;
/** Header on every answer a fault made up, so a client (and a test) tells it from the service's own. */
export const FAULT_HEADER = 'x-gantry-fault';

export function validateFaults(routeId: string, faults: FaultSpec, durationMs: number): void {
  const where = `route ${routeId}`;
  const bad = (message: string, hint: string): TargetError => new TargetError('BAD_REQUEST', `faults for ${routeId}: ${message}`, { where, hint });
  if (!Number.isInteger(durationMs) || durationMs < 1 || durationMs > MAX_FAULT_DURATION_MS) throw bad(`duration ${durationMs} ms is not between 1 ms and ${MAX_FAULT_DURATION_MS} ms`, 'Give the time the faults stay on, in whole milliseconds, at most an hour.');
  const shares = [faults.latency?.share, faults.abort?.share, faults.reset?.share];
  if (shares.some((s) => s !== undefined && !(s >= 0 && s <= 1))) throw bad('a share is not between 0 and 1', 'A share is the fraction of requests hit: 0.05 is 5 %.');
  if (faults.latency && !(Number.isInteger(faults.latency.ms) && faults.latency.ms >= 0 && faults.latency.ms <= MAX_FAULT_LATENCY_MS)) throw bad(`latency ${faults.latency.ms} ms is not between 0 and ${MAX_FAULT_LATENCY_MS}`, 'Added latency is whole milliseconds, at most a minute.');
  if (faults.abort && !(Number.isInteger(faults.abort.status) && faults.abort.status >= 400 && faults.abort.status <= 599)) throw bad(`abort status ${faults.abort.status} is not an error status`, 'An aborted request is answered with a status from 400 to 599, e.g. 503.');
}

interface Active {
  readonly faults: FaultSpec;
  readonly expiresAt: number;
  readonly timer: NodeJS.Timeout;
  counts: { seen: number; delayed: number; aborted: number; reset: number };
}

/**
 * One route's faults. They end by themselves when their time is up (a timer here, in the process
 * that routes), so a control plane that dies mid-check leaves no fault behind.
 */
export class RouteFaults {
  private active: Active | undefined;
  /** The last faults that ended (expired or cleared), so the check reads what they did after the fact. */
  private last: FaultStatus | undefined;

  constructor(private readonly random: () => number = Math.random) {}

  get on(): boolean {
    return this.active !== undefined;
  }

  set(faults: FaultSpec, durationMs: number): FaultStatus {
    this.end();
    const timer = setTimeout(() => this.end(), durationMs);
    timer.unref();
    this.active = { faults, expiresAt: Date.now() + durationMs, timer, counts: { seen: 0, delayed: 0, aborted: 0, reset: 0 } };
    return this.snapshot(this.active);
  }

  /** Ends the faults now; answers what they did (or what the last ones did, when none is on). */
  clear(): FaultStatus | null {
    this.end();
    return this.last ?? null;
  }

  status(): { readonly active: FaultStatus | null; readonly last: FaultStatus | null } {
    return { active: this.active ? this.snapshot(this.active) : null, last: this.last ?? null };
  }

  /** Applies the faults to one request: `forward` runs unless the request was reset or aborted. */
  apply(req: IncomingMessage, res: ServerResponse, forward: () => void): void {
    const active = this.active;
    if (active === undefined) return forward();
    const { faults, counts } = active;
    counts.seen++;
    if (faults.reset && this.random() < faults.reset.share) {
      counts.reset++;
      // A TCP reset, not a clean close: what a crashed proxy or a dropped connection looks like to a client.
      req.socket.resetAndDestroy();
      return;
    }
    if (faults.abort && this.random() < faults.abort.share) {
      counts.aborted++;
      const body = JSON.stringify({ code: 'FAULT_INJECTED', message: `fault injected by Gantry: answered ${faults.abort.status} without forwarding` });
      res.writeHead(faults.abort.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store', [FAULT_HEADER]: 'abort' });
      res.end(body);
      return;
    }
    if (faults.latency && faults.latency.ms > 0 && this.random() < faults.latency.share) {
      counts.delayed++;
      const timer = setTimeout(() => {
        if (!req.socket.destroyed) forward();
      }, faults.latency.ms);
      res.once('close', () => clearTimeout(timer));
      return;
    }
    forward();
  }

  private end(): void {
    const active = this.active;
    if (active === undefined) return;
    clearTimeout(active.timer);
    this.active = undefined;
    this.last = this.snapshot(active);
  }

  private snapshot(active: Active): FaultStatus {
    return { faults: active.faults, expiresAt: active.expiresAt, counts: { ...active.counts } };
  }
}
