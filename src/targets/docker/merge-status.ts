import { RevisionPhase, type RevisionStatus, type RevisionTraffic, type ServiceStatus } from '../target.js';

/** What one host's agent reports, named by the host. */
export interface HostReport<T> {
  readonly host: string;
  readonly value: T;
}

/** Worse is higher: a revision is as healthy as its worst host. */
const RANK: Readonly<Record<RevisionPhase, number>> = {
  [RevisionPhase.Ready]: 0,
  [RevisionPhase.Starting]: 1,
  [RevisionPhase.Unhealthy]: 2,
  [RevisionPhase.Crashed]: 3,
  [RevisionPhase.CrashLoop]: 4,
  [RevisionPhase.Failed]: 5,
  [RevisionPhase.Stopping]: -1,
  [RevisionPhase.Stopped]: -2,
};
const running = (phase: RevisionPhase): boolean => RANK[phase] >= 0;

/**
 * One revision over every host that serves its service. It is ready only when ready on every host;
 * otherwise the worst running phase (a host that lacks it while others run it counts as starting),
 * so a strategy waits for all hosts and a rollback still stops it wherever it runs. Stopped only
 * when stopped (or absent) everywhere. Counts are summed; errors name their host.
 */
function mergeRevision(revision: number, reports: ReadonlyArray<HostReport<RevisionStatus | undefined>>): RevisionStatus {
  const present = reports.flatMap((r) => (r.value ? [{ host: r.host, status: r.value }] : []));
  const first = present[0]?.status;
  if (first === undefined) throw new Error(`revision ${revision} merged from no host`); // callers merge only revisions some host reports
  const live = present.filter((p) => running(p.status.phase));
  let phase: RevisionPhase;
  if (live.length === 0) phase = present.some((p) => p.status.phase === RevisionPhase.Stopping) ? RevisionPhase.Stopping : RevisionPhase.Stopped;
  else {
    phase = live.reduce<RevisionPhase>((worst, p) => (RANK[p.status.phase] > RANK[worst] ? p.status.phase : worst), RevisionPhase.Ready);
    if (phase === RevisionPhase.Ready && live.length < reports.length) phase = RevisionPhase.Starting;
  }
  const errors = present.flatMap((p) => (p.status.lastError ? [`${p.host}: ${p.status.lastError}`] : []));
  const sum = (pick: (s: RevisionStatus) => number | undefined): number | undefined =>
    present.some((p) => pick(p.status) !== undefined) ? present.reduce((n, p) => n + (pick(p.status) ?? 0), 0) : undefined;
  const readyReplicas = sum((s) => s.readyReplicas);
  const outOfRotation = sum((s) => s.outOfRotation);
  // Each host's replicas, placed on their host.
  const replicas = present.some((p) => p.status.replicas) ? present.flatMap((p) => (p.status.replicas ?? []).map((x) => ({ ...x, node: x.node ?? p.host }))) : undefined;
  return {
    revision,
    release: first.release,
    digest: first.digest,
    phase,
    restarts: present.reduce((n, p) => n + p.status.restarts, 0),
    ports: present.flatMap((p) => p.status.ports),
    lastError: errors.length === 0 ? null : errors.join('; '),
    ...(readyReplicas === undefined ? {} : { readyReplicas }),
    ...(outOfRotation === undefined ? {} : { outOfRotation }),
    ...(replicas === undefined ? {} : { replicas }),
  };
}

/** The services of one environment over every host: revisions merged; routes, ports and weights as the first host that serves the service reports them. */
export function mergeServices(reports: ReadonlyArray<HostReport<readonly ServiceStatus[]>>): ServiceStatus[] {
  const names = [...new Set(reports.flatMap((r) => r.value.map((s) => s.service)))];
  return names.map((name) => {
    const perHost = reports.map((r) => ({ host: r.host, value: r.value.find((s) => s.service === name) }));
    const base = perHost.find((p) => p.value)?.value as ServiceStatus;
    const revisions = [...new Set(perHost.flatMap((p) => p.value?.revisions.map((r) => r.revision) ?? []))].sort((a, b) => a - b);
    return {
      ...base,
      revisions: revisions.map((rev) => mergeRevision(rev, perHost.map((p) => ({ host: p.host, value: p.value?.revisions.find((r) => r.revision === rev) })))),
    };
  });
}

/** Each revision's counters summed over the hosts (each host's router counts its own share). */
export function mergeTraffic(reports: ReadonlyArray<readonly RevisionTraffic[]>): RevisionTraffic[] {
  const byRevision = new Map<number, RevisionTraffic>();
  for (const t of reports.flat()) {
    const had = byRevision.get(t.revision);
    if (!had) {
      byRevision.set(t.revision, t);
      continue;
    }
    const buckets: Record<string, number> = { ...had.latencyBuckets };
    for (const [le, n] of Object.entries(t.latencyBuckets)) buckets[le] = (buckets[le] ?? 0) + n;
    byRevision.set(t.revision, {
      revision: t.revision,
      requests: had.requests + t.requests,
      errors: had.errors + t.errors,
      status: { '2xx': had.status['2xx'] + t.status['2xx'], '3xx': had.status['3xx'] + t.status['3xx'], '4xx': had.status['4xx'] + t.status['4xx'], '5xx': had.status['5xx'] + t.status['5xx'] },
      latencyBuckets: buckets,
      ...(had.latencySumMs !== undefined || t.latencySumMs !== undefined ? { latencySumMs: (had.latencySumMs ?? 0) + (t.latencySumMs ?? 0) } : {}),
    });
  }
  return [...byRevision.values()].sort((a, b) => a.revision - b.revision);
}
