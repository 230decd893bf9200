import { TargetError } from '../../../errors/index.js';
import type { RevisionStatus } from '../../target.js';

/**
 * Which HAProxy servers a backend should hold for a service, and with which weights: one server
 * per replica port the target reports, named by revision and replica (`r5-1`, `r5-2`) so HAProxy's
 * counters map back to revisions. Pure: the router reads and applies it (haproxy-router.ts).
 */
export interface PlannedServer {
  readonly name: string;
  readonly revision: number;
  readonly port: number;
  /** HAProxy weight, 0–256. */
  readonly weight: number;
}

/** HAProxy weight per percent of a route: 100 % on one replica is 200, inside HAProxy's 0–256. */
export const WEIGHT_PER_PERCENT = 2;

const SERVER_NAME = /^r(\d+)-(\d+)$/;

export function serverName(revision: number, replica: number): string {
  return `r${revision}-${replica + 1}`;
}

/** The revision a server Gantry named belongs to; undefined for a server Gantry did not add. */
export function revisionOfServer(name: string): number | undefined {
  const m = SERVER_NAME.exec(name);
  return m ? Number(m[1]) : undefined;
}

/** Revisions whose replicas run, so HAProxy may send them requests (a weight of 0 keeps them in the backend for counters and instant rollback). */
function running(r: RevisionStatus): boolean {
  return r.ports.length > 0 && r.phase !== 'stopping' && r.phase !== 'stopped';
}

/**
 * Every running revision's replicas as servers; a revision's percentage is split evenly over its
 * replicas (at least weight 1 each while it has any share, so a small canary is not rounded away).
 * A weight for a revision that has no running replica is refused: HAProxy would have nowhere to send it.
 */
export function planServers(revisions: readonly RevisionStatus[], weights: Readonly<Record<string, number>>, where: string): PlannedServer[] {
  for (const [rev, pct] of Object.entries(weights)) {
    if (pct > 0 && !revisions.some((r) => r.revision === Number(rev) && running(r))) {
      throw new TargetError('TARGET_ERROR', `${where}: revision ${rev} has no running replica to send ${pct} % of the traffic to`, {
        where,
        hint: 'Start the revision (and wait until it is ready) before giving it weight.',
      });
    }
  }
  const planned: PlannedServer[] = [];
  for (const r of revisions.filter(running)) {
    const pct = weights[String(r.revision)] ?? 0;
    const each = pct <= 0 ? 0 : Math.max(1, Math.round((pct * WEIGHT_PER_PERCENT) / r.ports.length));
    r.ports.forEach((port, i) => planned.push({ name: serverName(r.revision, i), revision: r.revision, port, weight: each }));
  }
  return planned;
}

/** The servers of one revision only, all with the same weight: the match backend of a header-routed canary. */
export function planMatchServers(revisions: readonly RevisionStatus[], revision: number | undefined, where: string): PlannedServer[] {
  if (revision === undefined) return [];
  return planServers(revisions, { [String(revision)]: 100 }, where).filter((s) => s.revision === revision);
}
