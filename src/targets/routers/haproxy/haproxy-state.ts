import type { RevisionTraffic } from '../../target.js';
import { revisionOfServer } from './server-plan.js';

/** A server as HAProxy's `show servers state <backend>` reports it. */
export interface LiveServer {
  readonly name: string;
  readonly address: string;
  readonly port: number;
  /** The weight set by `set server … weight` (srv_uweight). */
  readonly weight: number;
  /** No administrative state set (not in maintenance, not draining): it takes requests its weight gives it. */
  readonly ready: boolean;
}

/** Rows of a table whose header line starts with `# ` and names the columns, split on `sep`. */
function rows(text: string, sep: RegExp | string): Array<Record<string, string>> {
  const lines = text.split('\n');
  const headerAt = lines.findIndex((l) => l.startsWith('# '));
  if (headerAt < 0) return [];
  const names = (lines[headerAt] ?? '').slice(2).split(sep);
  return lines
    .slice(headerAt + 1)
    .filter((l) => l.trim() !== '' && !l.startsWith('#'))
    .map((l) => {
      const cells = l.split(sep);
      return Object.fromEntries(names.map((n, i) => [n, cells[i] ?? '']));
    });
}

/** Parses `show servers state <backend>`: every server of the backend, Gantry's and the user's. */
export function parseServersState(text: string): LiveServer[] {
  return rows(text, ' ').map((r) => ({
    name: r.srv_name ?? '',
    address: r.srv_addr ?? '',
    port: Number(r.srv_port),
    weight: Number(r.srv_uweight),
    ready: r.srv_admin_state === '0',
  }));
}

/** Parses `show servers conn <backend>`: connections each server holds now (in use plus idle kept for reuse). */
export function parseServerConnections(text: string): Map<string, number> {
  const found = new Map<string, number>();
  for (const r of rows(text, ' ')) {
    const server = (r['bkname/svname'] ?? '').split('/')[1];
    if (server) found.set(server, Number(r.used_cur ?? 0) + Number(r.idle_cur ?? 0));
  }
  return found;
}

const num = (v: string | undefined): number => (v === undefined || v === '' ? 0 : Number(v));

/**
 * Per-revision counters from `show stat` (CSV) of the given backends, summed over each revision's
 * servers (and over the backends, so testers' header-routed requests count too). HAProxy's stats
 * hold no latency histogram, so `latencyBuckets` is empty: p99 analyses then have no data rather
 * than a latency of 0. Counters restart when a server is removed and added again.
 */
export function parseTraffic(csv: string, backends: readonly string[]): RevisionTraffic[] {
  const byRevision = new Map<number, { requests: number; s: Record<'2xx' | '3xx' | '4xx' | '5xx', number>; errors: number }>();
  for (const r of rows(csv, ',')) {
    if (!backends.includes(r.pxname ?? '')) continue;
    const revision = revisionOfServer(r.svname ?? '');
    if (revision === undefined) continue;
    const t = byRevision.get(revision) ?? { requests: 0, s: { '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 }, errors: 0 };
    const errors = num(r.econ) + num(r.eresp);
    // Every attempt HAProxy made on the server: answered (any status) or failed to connect or answer.
    t.requests += num(r.hrsp_1xx) + num(r.hrsp_2xx) + num(r.hrsp_3xx) + num(r.hrsp_4xx) + num(r.hrsp_5xx) + num(r.hrsp_other) + errors;
    t.s['2xx'] += num(r.hrsp_2xx);
    t.s['3xx'] += num(r.hrsp_3xx);
    t.s['4xx'] += num(r.hrsp_4xx);
    t.s['5xx'] += num(r.hrsp_5xx);
    t.errors += errors;
    byRevision.set(revision, t);
  }
  return [...byRevision.entries()]
    .sort(([a], [b]) => a - b)
    .map(([revision, t]) => ({ revision, requests: t.requests, status: t.s, errors: t.errors, latencyBuckets: {} }));
}
