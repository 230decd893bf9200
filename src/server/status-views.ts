import type { Deployment } from '../domain/deployment.js';
import type { EnvironmentConfig } from '../config/types.js';
import type { ReplicaStatus, RevisionStatus, ServiceStatus, Target, TargetEvent } from '../targets/target.js';

/** Warning events kept per service: the recent ones, as `kubectl describe` shows them. */
export const STATUS_WARNINGS = 10;

/** One revision as `gantry status` shows it: the target's report, with what Gantry recorded beside it. */
export interface RevisionView {
  readonly revision: number;
  readonly targetRevision: string | null;
  readonly release: string;
  readonly digest: string;
  readonly phase: RevisionStatus['phase'];
  /** Replicas ready now (null: the target does not say) out of `wantedReplicas` (null: not recorded). */
  readonly readyReplicas: number | null;
  readonly wantedReplicas: number | null;
  readonly restarts: number;
  readonly outOfRotation: number | null;
  readonly lastError: string | null;
  readonly ports: readonly number[];
  /** Each replica (pod, container) when the target reports them; empty otherwise. */
  readonly replicas: readonly ReplicaStatus[];
  /** Gantry's live revision of the service: the one a failed readiness makes `gantry status` exit 1. */
  readonly live: boolean;
  /** When Gantry created the deployment of this revision (null: none recorded). */
  readonly deployedAt: string | null;
}

export interface ServiceStatusView {
  readonly service: string;
  /** Gantry's live revision (its last succeeded deployment), null before the first. */
  readonly live: { readonly revision: number; readonly release: string; readonly digest: string; readonly deployedAt: string } | null;
  /** Whether the live revision is reported ready; true when nothing is live yet. */
  readonly ready: boolean;
  readonly port?: number;
  readonly previewPort?: number | undefined;
  readonly endpoints?: ServiceStatus['endpoints'];
  readonly weights: ServiceStatus['weights'];
  readonly revisions: readonly RevisionView[];
  /** The target's recent Warning events about the service, oldest first (at most STATUS_WARNINGS). */
  readonly warnings: readonly TargetEvent[];
}

const iso = (ms: number): string => new Date(ms).toISOString();

function revisionView(r: RevisionStatus, recorded: Deployment | undefined, liveRevision: number | undefined): RevisionView {
  return {
    revision: r.revision,
    targetRevision: r.targetRevision ?? null,
    release: r.release,
    digest: r.digest,
    phase: r.phase,
    readyReplicas: r.readyReplicas ?? null,
    wantedReplicas: recorded?.spec?.replicas ?? null,
    restarts: r.restarts,
    outOfRotation: r.outOfRotation ?? null,
    lastError: r.lastError,
    ports: r.ports,
    replicas: r.replicas ?? [],
    live: r.revision === liveRevision,
    deployedAt: recorded ? iso(recorded.createdAt) : null,
  };
}

/** Joins the target's report of one service with Gantry's records of it (live revision, replicas wanted, ages). */
export function serviceStatusView(service: string, reported: ServiceStatus | undefined, history: readonly Deployment[], live: Deployment | undefined, events: readonly TargetEvent[]): ServiceStatusView {
  const byRevision = new Map(history.map((d) => [d.revision, d]));
  const revisions = (reported?.revisions ?? []).map((r) => revisionView(r, byRevision.get(r.revision), live?.revision));
  const liveView = revisions.find((r) => r.live);
  return {
    service,
    live: live ? { revision: live.revision, release: live.release, digest: live.digest, deployedAt: iso(live.createdAt) } : null,
    ready: live === undefined || liveView?.phase === 'ready',
    ...(reported?.port === undefined ? {} : { port: reported.port }),
    ...(reported?.previewPort === undefined ? {} : { previewPort: reported.previewPort }),
    ...(reported?.endpoints ? { endpoints: reported.endpoints } : {}),
    weights: reported?.weights ?? { main: {}, preview: {} },
    revisions,
    warnings: events.filter((e) => e.type === 'Warning').slice(-STATUS_WARNINGS),
  };
}

/** The view with every text a target wrote (last errors, replica states, event messages) passed through `mask`. */
export function maskedView(view: ServiceStatusView, mask: (text: string) => string): ServiceStatusView {
  return {
    ...view,
    revisions: view.revisions.map((r) => ({ ...r, lastError: r.lastError === null ? null : mask(r.lastError), replicas: r.replicas.map((p) => ({ ...p, state: mask(p.state) })) })),
    warnings: view.warnings.map((w) => ({ ...w, reason: mask(w.reason), message: mask(w.message), object: mask(w.object) })),
  };
}

/** The target's events, one service's at a time; a target that keeps none, or fails to answer, has none to show. */
export async function serviceWarnings(target: Target | undefined, environment: string, service: string): Promise<TargetEvent[]> {
  if (!target?.events) return [];
  return target.events(environment, service).catch(() => []);
}

/** The services an environment deploys, or the one asked for. */
export function servicesOf(env: EnvironmentConfig, only: string | undefined): readonly string[] {
  return only === undefined ? env.services : env.services.filter((s) => s === only);
}
