import type { Logger } from 'pino';
import type { HealthProbe } from '../../targets/target.js';
import { HealthCounters } from '../supervisor/health-counters.js';
import { describeProbe, probeHealth, type ProbeResult } from '../supervisor/health-probe.js';
import { STARTING_PROBE_MS } from '../supervisor/revision-process.js';

/** What the prober tells its replica, and asks of it. */
export interface ProberEvents {
  /** Where the replica stands: its readiness verdicts depend on it. */
  state(): 'starting' | 'ready' | 'unready';
  ready(at: number): void;
  /** Readiness failed `failureThreshold` times in a row: out of rotation, with the reason. */
  unready(reason: string): void;
  /**
   * As many failures while it never was ready: it stays `starting` (the deploy's health deadline
   * decides), but the reason is there for the deploy's timeout to tell.
   */
  notReadyYet(reason: string): void;
  /** Liveness failed its threshold: the replica must be restarted. Probing stops until the next `begin`. */
  livenessFailed(reason: string): void;
}

/**
 * The health probes of one container replica, as the process runtime probes a process (the same
 * probe, counters and cadence: supervisor/health-probe.ts, health-counters.ts): one GET on
 * 127.0.0.1:<port> per interval (faster while starting) from `begin` (a run started) to `end`.
 */
export class ReplicaProber {
  private readonly counters: HealthCounters;
  private timer: NodeJS.Timeout | undefined;
  /** One object per run: a probe answering after its run ended is ignored. */
  private run: object | null = null;
  private last: ProbeResult | null = null;

  constructor(
    private readonly port: number,
    private readonly health: HealthProbe,
    unhealthyAfter: number,
    private readonly events: ProberEvents,
    private readonly log: Logger,
  ) {
    this.counters = new HealthCounters(health, unhealthyAfter);
  }

  /** A new run of the container: nothing its earlier runs did counts; probed at once. */
  begin(): void {
    this.run = {};
    this.counters.reset();
    this.schedule(this.run, 0);
  }

  end(): void {
    this.run = null;
    clearTimeout(this.timer);
  }

  /** The last probe, for a person: `GET http://127.0.0.1:4100/healthz → 500 (expected 200)`. */
  describeLast(): string {
    return describeProbe(this.port, this.health, this.last);
  }

  private schedule(run: object, wait?: number): void {
    clearTimeout(this.timer);
    const { intervalMs } = this.health;
    this.timer = setTimeout(() => void this.tick(run), wait ?? (this.events.state() === 'starting' ? Math.min(intervalMs, STARTING_PROBE_MS) : intervalMs));
    // Probing alone is no reason to keep the agent alive.
    this.timer.unref();
  }

  private async tick(run: object): Promise<void> {
    const current = (): boolean => this.run === run;
    try {
      const result = await probeHealth(this.port, this.health);
      if (!current()) return;
      this.last = result;
      const state = this.events.state();
      const verdict = this.counters.onReadiness(result.ok, state);
      const failing = `${this.counters.failedInARow} health probes failed in a row: ${this.describeLast()}`;
      if (verdict === 'ready') this.events.ready(result.at);
      else if (verdict === 'unready') this.events.unready(failing);
      else if (state === 'starting' && this.counters.failedInARow >= this.counters.readiness.failureThreshold) this.events.notReadyYet(failing);
      const path = this.counters.liveness?.path ?? this.health.path;
      const liveness = this.counters.separateLiveness ? await probeHealth(this.port, { ...this.health, path }) : result;
      if (current() && this.counters.onLiveness(liveness.ok) === 'restart') {
        this.end();
        this.events.livenessFailed(`liveness: ${this.counters.livenessFailedInARow} probes failed in a row: ${describeProbe(this.port, { ...this.health, path }, liveness)}`);
      }
    } catch (error: unknown) {
      this.log.error({ err: error }, 'health probe failed unexpectedly');
    } finally {
      if (current()) this.schedule(run);
    }
  }
}
