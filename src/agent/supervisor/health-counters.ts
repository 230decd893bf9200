import type { HealthProbe } from '../../targets/target.js';

/** What a probe result asks of the process: nothing, a readiness change, or a restart. */
export type HealthVerdict = 'ready' | 'unready' | 'restart' | undefined;

/**
 * Readiness and liveness kept apart, as Kubernetes does. Readiness decides whether a replica gets
 * traffic: after `failureThreshold` failed probes in a row a ready replica goes out of rotation,
 * after `successThreshold` passes in a row it comes back. Liveness decides whether it must be
 * restarted: after its own `failureThreshold` failures in a row, counted only once the replica
 * has been ready since it started (before that the health deadline of the deploy governs, the job
 * of a Kubernetes startup probe). Pure: the process feeds it results and acts on its verdicts.
 */
export class HealthCounters {
  private failures = 0;
  private passes = 0;
  private livenessFailures = 0;
  private beenReady = false;
  readonly readiness: { readonly failureThreshold: number; readonly successThreshold: number };
  readonly liveness: { readonly path: string; readonly failureThreshold: number } | undefined;

  private readonly readinessPath: string;

  constructor(probe: HealthProbe, defaultFailureThreshold: number) {
    this.readinessPath = probe.path;
    this.readiness = probe.readiness ?? { failureThreshold: defaultFailureThreshold, successThreshold: 1 };
    this.liveness = probe.liveness !== undefined && probe.liveness.failureThreshold > 0 ? probe.liveness : undefined;
  }

  /** A new run of the process: nothing it did before counts. */
  reset(): void {
    this.failures = 0;
    this.passes = 0;
    this.livenessFailures = 0;
    this.beenReady = false;
  }

  get failedInARow(): number {
    return this.failures;
  }

  get livenessFailedInARow(): number {
    return this.livenessFailures;
  }

  /** Whether liveness needs a probe of its own (another path than readiness); else one probe answers both. */
  get separateLiveness(): boolean {
    return this.liveness !== undefined && this.liveness.path !== this.readinessPath;
  }

  /** A readiness result, given whether the replica is in rotation now and whether it is still starting. */
  onReadiness(ok: boolean, state: 'starting' | 'ready' | 'unready'): HealthVerdict {
    if (ok) {
      this.failures = 0;
      this.passes += 1;
      // The first pass makes a starting replica ready: a deploy waits on it.
      if (state === 'starting' || (state === 'unready' && this.passes >= this.readiness.successThreshold)) {
        this.beenReady = true;
        return 'ready';
      }
      return undefined;
    }
    this.passes = 0;
    this.failures += 1;
    return state === 'ready' && this.failures >= this.readiness.failureThreshold ? 'unready' : undefined;
  }

  /** A liveness result; 'restart' once its failures in a row reach the threshold after the replica was ready. */
  onLiveness(ok: boolean): HealthVerdict {
    if (this.liveness === undefined || !this.beenReady) return undefined;
    this.livenessFailures = ok ? 0 : this.livenessFailures + 1;
    return this.livenessFailures >= this.liveness.failureThreshold ? 'restart' : undefined;
  }
}
