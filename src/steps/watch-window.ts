import type { Deployment } from '../domain/deployment.js';
import { GantryError } from '../errors/index.js';
import { p99FromBuckets } from '../metrics/latency.js';
import type { RevisionStatus, RevisionTraffic, TrafficSource } from '../targets/target.js';
import type { WatchState, WindowTotals } from './watch-state.js';

/** The router's counters of one service's revisions, from the target kind's traffic source: the one place the watch reads traffic from. */
export const trafficOf = (source: TrafficSource, environment: string, service: string): Promise<RevisionTraffic[]> => source.traffic(environment, service);

/** What the revision's replicas went through since the window began; a target that does not count them reports 0. */
function replicaFigures(now: RevisionStatus | undefined, start: WatchState['baseline']): Pick<WindowTotals, 'outOfRotation' | 'restarts'> {
  return { outOfRotation: Math.max(0, (now?.outOfRotation ?? 0) - start.outOfRotation), restarts: Math.max(0, (now?.restarts ?? 0) - start.restarts) };
}

function diff(now: RevisionTraffic | undefined, start: RevisionTraffic | null): Omit<WindowTotals, 'outOfRotation' | 'restarts'> {
  const buckets: Record<string, number> = {};
  for (const [k, v] of Object.entries(now?.latencyBuckets ?? {})) buckets[k] = v - (start?.latencyBuckets[k] ?? 0);
  const failed = (t: RevisionTraffic | null | undefined): number => (t ? t.status['5xx'] + t.errors : 0);
  return { requests: (now?.requests ?? 0) - (start?.requests ?? 0), failed: failed(now) - failed(start), buckets };
}

/** The window's totals of one revision since its start: the router's counters and its replicas' counts against the stored baseline. */
export function windowTotals(traffic: RevisionTraffic | undefined, status: RevisionStatus | undefined, baseline: WatchState['baseline']): WindowTotals {
  return { ...diff(traffic, baseline.traffic), ...replicaFigures(status, baseline) };
}

/**
 * Judges one revision's window so far against the error-rate and p99 thresholds, and its phase:
 * throws WATCH_FAILED (with every service's totals so far in the summary) on the first breach.
 */
export function judgeWindow(watch: { readonly maxErrorRate: number; readonly maxP99Ms?: number | undefined }, d: Deployment, status: RevisionStatus | undefined, w: WindowTotals, totals: Readonly<Record<string, WindowTotals>>): void {
  const details = { summary: { watch: totals } };
  if (status && (status.phase === 'crashed' || status.phase === 'crash-loop' || status.phase === 'failed')) {
    throw new GantryError('WATCH_FAILED', `${d.service} r${d.revision} ${status.phase} during the watch window${status.lastError ? `: ${status.lastError}` : ''}`, { hint: 'Read the revision log; the deployment is rolled back.', details });
  }
  const rate = w.requests === 0 ? 0 : w.failed / w.requests;
  const p99 = p99FromBuckets(w.buckets);
  if (w.requests >= 20 && rate > watch.maxErrorRate) {
    throw new GantryError('WATCH_FAILED', `${d.service} r${d.revision}: error rate ${(rate * 100).toFixed(1)} % over ${w.requests} requests, above ${(watch.maxErrorRate * 100).toFixed(1)} %`, { hint: 'The deployment is rolled back; read the revision log.', details });
  }
  if (watch.maxP99Ms !== undefined && w.requests >= 50 && p99 !== undefined && p99 > watch.maxP99Ms) {
    throw new GantryError('WATCH_FAILED', `${d.service} r${d.revision}: p99 latency ${p99} ms above ${watch.maxP99Ms} ms`, { hint: 'The deployment is rolled back.', details });
  }
}
