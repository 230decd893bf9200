import { HealthCheckError, TargetError, TimeoutError } from '../errors/index.js';
import type { GantryError } from '../errors/index.js';
import { RevisionPhase } from '../targets/target.js';
import type { RevisionSpec, RevisionStatus, RouteName, ServiceStatus } from '../targets/target.js';

/**
 * Reading actual state: every strategy decision starts from what the target reports now, never from
 * what Gantry believes it did before a crash (DESIGN invariant 1: reconcile desired vs actual).
 * Pure functions of an observation, so the reconcile passes stay pure.
 */

export function revisionIn(service: ServiceStatus | undefined, revision: number): RevisionStatus | undefined {
  return service?.revisions.find((r) => r.revision === revision);
}

/** Present and not on its way out: starting it again would be a duplicate. */
export function isRunning(status: RevisionStatus | undefined): boolean {
  return status !== undefined && status.phase !== RevisionPhase.Stopping && status.phase !== RevisionPhase.Stopped;
}

export function weightOf(service: ServiceStatus | undefined, route: RouteName, revision: number): number {
  return service?.weights[route][String(revision)] ?? 0;
}

/** True when the route sends all its traffic to this one revision (zero-weight entries do not count). */
export function routesOnlyTo(service: ServiceStatus | undefined, route: RouteName, revision: number): boolean {
  const live = Object.entries(service?.weights[route] ?? {}).filter(([, weight]) => weight > 0);
  return live.length === 1 && live[0]?.[0] === String(revision) && live[0][1] === 100;
}

export function hasWeights(service: ServiceStatus | undefined, route: RouteName): boolean {
  return Object.keys(service?.weights[route] ?? {}).length > 0;
}

export function ports(status: RevisionStatus): string {
  return status.ports.map((p) => `:${p}`).join(', ') || 'no ports';
}

/** Retiring a revision that still takes users would drop their requests. */
export function stillServing(spec: RevisionSpec, revision: number): TargetError {
  const { environment, service } = spec;
  return new TargetError('REVISION_STILL_SERVING', `${service} r${revision} still gets main-route traffic; not stopping it`, {
    where: `${environment}/${service} r${revision}`,
    hint: 'Retire runs only after the new revision holds all traffic; finish or roll back the deployment first.',
  });
}

/** Which revision is judged, and against what: the spec (for the probe in hints), the target (for messages), the deadline. */
export interface ReadinessSubject {
  readonly spec: RevisionSpec;
  readonly targetName: string;
  readonly readyDeadlineMs: number;
}

/** The revision's status if it is ready; otherwise throws the error that says why it may not get traffic (it had been ready). */
export function requireReady(subject: ReadinessSubject, service: ServiceStatus | undefined, revision: number): RevisionStatus {
  const status = revisionIn(service, revision);
  const problem = notReady(subject, revision, status, 'now');
  if (problem) throw problem;
  return status as RevisionStatus;
}

/**
 * While waiting for readiness: undefined when the revision is ready, otherwise how long to wait
 * before looking again. Crash-loop fails at once (the target gave up on it); starting,
 * crashed-and-restarting and unhealthy keep waiting until readyDeadlineMs after `since`, after which
 * the timeout carries the revision's last error so on-call sees why, not just that.
 */
export function readyOrWait(subject: ReadinessSubject, service: ServiceStatus | undefined, revision: number, since: number, now: number, pollMs: number): number | undefined {
  const status = revisionIn(service, revision);
  if (service && status?.phase === RevisionPhase.Ready) return undefined;
  const waited = now - since;
  const problem = notReady(subject, revision, status, waited < subject.readyDeadlineMs ? 'waiting' : 'timed-out');
  if (problem) throw problem;
  return Math.max(1, Math.min(pollMs, subject.readyDeadlineMs - waited));
}

/**
 * Why a revision may not get traffic, or undefined when it is ready or may still become ready.
 * `waiting`: only a gone or crash-looping revision is final; `timed-out`: the deadline passed;
 * `now`: it had been ready, so anything but ready means it broke under traffic.
 */
function notReady(subject: ReadinessSubject, revision: number, status: RevisionStatus | undefined, mode: 'waiting' | 'timed-out' | 'now'): GantryError | undefined {
  const { environment, service } = subject.spec;
  const where = `${environment}/${service} r${revision}`;
  const lastError = status?.lastError ?? null;
  const details = { environment, service, revision, phase: status?.phase ?? 'absent', restarts: status?.restarts ?? 0, lastError };
  const why = lastError ? `: ${lastError}` : '';
  if (status === undefined || !isRunning(status)) {
    return new TargetError('REVISION_GONE', `${service} r${revision} is ${status ? status.phase : 'not running'} on target ${subject.targetName}`, {
      where,
      details,
      hint: 'Something else stopped it, or the target lost it; see the target’s logs, then deploy again.',
    });
  }
  if (status.phase === RevisionPhase.Ready) return undefined;
  if (status.phase === RevisionPhase.CrashLoop) {
    return new HealthCheckError('REVISION_CRASH_LOOP', `${service} r${revision} keeps crashing (${status.restarts} restarts)${why}`, {
      where,
      details,
      hint: 'Read the revision’s output for the crash; it often is a missing env var or secret, or a wrong run command.',
    });
  }
  if (status.phase === RevisionPhase.Failed) {
    return new HealthCheckError('REVISION_FAILED', `${service} r${revision} failed on target ${subject.targetName}${why}`, {
      where,
      details,
      hint: 'The target gave up on it (an image it cannot pull, a replica killed for memory, a rollout past its deadline); the error says which. Fix that and deploy again.',
    });
  }
  if (mode === 'waiting') return undefined;
  if (mode === 'now') {
    return new HealthCheckError('REVISION_UNHEALTHY', `${service} r${revision} is ${status.phase}${why}`, {
      where,
      details,
      hint: 'It was ready before and broke since (under its share of traffic, or during the pre-switch checks); check its output and metrics around this time.',
    });
  }
  return new TimeoutError('REVISION_NOT_READY', `${service} r${revision} was not ready within ${subject.readyDeadlineMs} ms (still ${status.phase})${why}`, {
    where,
    details,
    hint: `Check that the health probe ${subject.spec.health.path} answers ${subject.spec.health.expectStatus}, or raise the service's health deadline if it starts slowly.`,
  });
}
