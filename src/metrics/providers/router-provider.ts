import { p99FromBuckets } from '../latency.js';
import type { RevisionTraffic } from '../traffic.js';
import { measurementError, noData, value } from '../provider.js';
import type { MeasureWindow, Measurement, MetricProvider, MetricQuery } from '../provider.js';
import { isRouterQuery, ROUTER_QUERIES } from './router-queries.js';
import type { RouterQuery } from './router-queries.js';

export { ROUTER_QUERIES } from './router-queries.js';


/** Reads the router's counters of one service: one entry per revision it routes to now (from the target kind's traffic source, metrics/traffic.ts). */
export type TrafficSampler = (signal: AbortSignal) => Promise<readonly RevisionTraffic[]>;

interface Snapshot {
  readonly at: number;
  readonly traffic: ReadonlyMap<number, RevisionTraffic>;
}

interface Delta {
  readonly requests: number;
  readonly failed: number;
  readonly buckets: Record<string, number>;
}

const failedOf = (t: RevisionTraffic | undefined): number => (t ? t.status['5xx'] + t.errors : 0);

/** What happened between two readings; a revision absent at the start got its traffic since (counters start at zero). */
function delta(end: RevisionTraffic, start: RevisionTraffic | undefined): Delta {
  const buckets: Record<string, number> = {};
  for (const [bound, n] of Object.entries(end.latencyBuckets)) buckets[bound] = n - (start?.latencyBuckets[bound] ?? 0);
  return { requests: end.requests - (start?.requests ?? 0), failed: failedOf(end) - failedOf(start), buckets };
}

function answer(query: RouterQuery, d: Delta, seconds: number | undefined): Measurement {
  switch (query) {
    case 'error-rate':
      // 5xx answers and requests the router could not deliver, as the watch window counts them.
      return value(d.failed / d.requests);
    case 'p99-latency-ms': {
      const p99 = p99FromBuckets(d.buckets);
      if (p99 !== undefined) return value(p99);
      // A router without a histogram (HAProxy's stats have none) must not read as a latency of 0.
      return noData(d.requests > 0 ? 'the router keeps no latency histogram (HAProxy does not): measure latency with a prometheus metric' : 'no request completed, so there is no latency to measure');
    }
    case 'request-rate':
      return seconds === undefined || seconds <= 0 ? noData('a rate needs a window, and the revision no longer gets traffic') : value(d.requests / seconds);
  }
}

/**
 * Metrics from the router's own per-revision counters (no Prometheus needed): each measurement is
 * the counter delta between the reading nearest the window's start and a fresh one at its end.
 * A revision that got no requests in the window has no data: silence proves nothing.
 *
 * A baseline (the previous revision, for `compare: previous`) that got no requests in the window
 * (it no longer gets traffic after a full switch) is judged on everything the router counted for
 * it while it served, from the last reading that listed it. The local agent forgets a revision's
 * counters when it leaves the route, so that reading must be taken before the switch: `record`
 * adds one taken elsewhere. Readings are also taken by `begin` and by each measurement. An
 * instance serves one analysis.
 */
export class RouterProvider implements MetricProvider {
  readonly name = 'router';
  private readonly snapshots: Snapshot[] = [];
  private readonly lastSeen = new Map<number, RevisionTraffic>();

  constructor(
    private readonly sample: TrafficSampler,
    private readonly clock: { now(): number },
  ) {}

  async begin(signal: AbortSignal): Promise<void> {
    try {
      await this.read(signal);
    } catch {
      if (signal.aborted) throw signal.reason;
      // The first measurement then reports that it has no starting counters; begin must not fail.
    }
  }

  record(traffic: readonly RevisionTraffic[], at: number = this.clock.now()): void {
    const snapshot: Snapshot = { at, traffic: new Map(traffic.map((t) => [t.revision, t])) };
    this.snapshots.push(snapshot);
    for (const t of traffic) this.lastSeen.set(t.revision, t);
  }

  async measure(query: MetricQuery, window: MeasureWindow, signal: AbortSignal): Promise<Measurement> {
    const text = query.text.trim();
    if (!isRouterQuery(text)) return measurementError(`the router has no query "${text}"; it answers ${ROUTER_QUERIES.join(', ')}`);
    let end: Snapshot;
    try {
      end = await this.read(signal);
    } catch (error: unknown) {
      if (signal.aborted) throw signal.reason;
      return measurementError(`cannot read the router's counters: ${error instanceof Error ? error.message : String(error)}`);
    }
    const now = end.traffic.get(query.revision);
    const start = this.nearest(window.start, end);
    if (now !== undefined && start !== undefined) {
      const d = delta(now, start.traffic.get(query.revision));
      if (d.requests > 0) return answer(text, d, (end.at - start.at) / 1000);
    }
    if (query.role === 'baseline') return this.lifetime(text, query);
    if (now === undefined) return noData(`the router does not route any traffic of ${query.service} to r${query.revision}`);
    if (start === undefined) return noData(`no reading of the router's counters from the start of the window`);
    return noData(`r${query.revision} of ${query.service} got no requests in the window`);
  }

  /** A baseline without traffic in the window: what the router counted for it while it served. */
  private lifetime(text: RouterQuery, query: MetricQuery): Measurement {
    const last = this.lastSeen.get(query.revision);
    if (last === undefined || last.requests <= 0) return noData(`the router has counted no traffic of ${query.service} to r${query.revision}, neither in the window nor before`);
    return answer(text, delta(last, undefined), undefined);
  }

  private async read(signal: AbortSignal): Promise<Snapshot> {
    const traffic = await this.sample(signal);
    this.record(traffic);
    return this.snapshots.at(-1) as Snapshot;
  }

  /** The reading taken closest to `time`, before the end reading. */
  private nearest(time: number, end: Snapshot): Snapshot | undefined {
    let best: Snapshot | undefined;
    for (const s of this.snapshots) {
      if (s === end || s.at > end.at) continue;
      if (best === undefined || Math.abs(s.at - time) < Math.abs(best.at - time)) best = s;
    }
    return best;
  }
}
