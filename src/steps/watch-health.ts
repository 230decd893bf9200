import type { WatchBasis, WatchConfig } from '../config/types.js';
import { GantryError } from '../errors/index.js';
import type { Deployment } from '../domain/deployment.js';
import type { RevisionStatus, ServiceStatus } from '../targets/target.js';

/** What the health watch saw of one revision: its phase at the last look and its restarts in the window. */
export interface HealthRecord {
  readonly basis: 'health';
  readonly phase: string;
  readonly restarts: number;
  readonly observations: number;
}

/**
 * How the watch judges a service. Runs planned before per-service rules existed stored a watch
 * without `services`, so a missing map reads as "every service by its traffic".
 */
export function watchBasis(watch: WatchConfig, service: string): WatchBasis {
  const rules = watch.services as WatchConfig['services'] | undefined;
  return rules?.[service]?.basis ?? 'traffic';
}

const revisionOf = (statuses: readonly ServiceStatus[], d: Deployment): RevisionStatus | undefined =>
  statuses.find((s) => s.service === d.service)?.revisions.find((r) => r.revision === d.revision);

/**
 * The watch of services users never call (workers, consumers): no traffic is expected, so their
 * own health is the evidence. A revision passes when every look found it ready and its restart
 * count never moved during the window; a restart, an unhealthy or crashed look, or a revision
 * that is gone fails the watch at once (and the deployment is rolled back).
 */
export class HealthWatch {
  private readonly baseline = new Map<string, number>();
  private readonly seen: Record<string, HealthRecord> = {};

  constructor(private readonly deployments: readonly Deployment[]) {}

  get records(): Readonly<Record<string, HealthRecord>> {
    return this.seen;
  }

  get services(): string[] {
    return this.deployments.map((d) => d.service);
  }

  /** Restart counts at the start of the window: restarts before it (during the rollout) are the rollout's business. */
  begin(statuses: readonly ServiceStatus[]): void {
    for (const d of this.deployments) {
      const r = revisionOf(statuses, d);
      this.baseline.set(d.service, r?.restarts ?? 0);
      this.seen[d.service] = { basis: 'health', phase: r?.phase ?? 'missing', restarts: 0, observations: 0 };
    }
  }

  /** Carries on a window an earlier pass began: its restart baseline and what it had seen. */
  resume(service: string, restarts: number, seen: HealthRecord | null): void {
    this.baseline.set(service, restarts);
    if (seen) this.seen[service] = seen;
  }

  observe(statuses: readonly ServiceStatus[]): void {
    for (const d of this.deployments) {
      const r = revisionOf(statuses, d);
      const restarts = Math.max(0, (r?.restarts ?? 0) - (this.baseline.get(d.service) ?? 0));
      this.seen[d.service] = { basis: 'health', phase: r?.phase ?? 'missing', restarts, observations: (this.seen[d.service]?.observations ?? 0) + 1 };
      const details = { summary: { health: this.seen } };
      const why = r?.lastError ? `: ${r.lastError}` : '';
      if (!r) throw new GantryError('WATCH_FAILED', `${d.service} r${d.revision} stopped running during the watch window`, { hint: 'Read the revision log; the deployment is rolled back.', details });
      if (restarts > 0) {
        throw new GantryError('WATCH_FAILED', `${d.service} r${d.revision} restarted ${restarts === 1 ? 'once' : `${restarts} times`} during the watch window${why}`, {
          hint: `${d.service} is watched by its health (watch.services.${d.service}.basis: health): it passes only with no restart. Read the revision log; the deployment is rolled back.`,
          details,
        });
      }
      if (r.phase !== 'ready') {
        throw new GantryError('WATCH_FAILED', `${d.service} r${d.revision} was ${r.phase} during the watch window${why}`, {
          hint: `${d.service} is watched by its health: it must stay ready through the window. Read the revision log; the deployment is rolled back.`,
          details,
        });
      }
    }
  }
}
