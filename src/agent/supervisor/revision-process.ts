import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { TimerHandle } from '../../kernel/clock.js';
import { Redactor } from '../../secrets/redactor.js';
import { RevisionPhase } from '../../targets/target.js';
import { RestartBackoff } from './backoff.js';
import { HealthCounters } from './health-counters.js';
import { describeProbe, probeHealth, type ProbeResult } from './health-probe.js';
import { LogFile } from './log-file.js';
import type { SupervisorSettings } from './options.js';
import { AdoptedExit } from './adopted-exit.js';
import { containmentName, type Containment } from './containment.js';
import { OutputFifos } from './output-fifo.js';
import { signalGroup, terminateGroup } from './process-group.js';
import { groupOf, identityOfSync, signalEach } from './proc-scan.js';
import type { ProcessSpec, ProcessStatus } from './process-spec.js';
import { captureOutput } from './redacting-pipe.js';

// The waits below and the probe timers stay on real timers, not settings.clock: each waits on a real
// process or socket, which fake time would not hurry. Only the restart backoff is a schedule of ours.

/** Probe cadence while starting: a deploy waits on readiness, and a refused connection on loopback costs nothing. */
export const STARTING_PROBE_MS = 250;
/** How long output still in the pipes may take to reach the log file once the process is gone. */
const DRAIN_WAIT_MS = 500;
/** How long SIGKILL to a process's descendants may take to leave none alive. */
const KILL_WAIT_MS = 5_000;
const POLL_MS = 50;

/** One spawn of the command: the supervisor restarts by making a new one. */
interface Run {
  readonly pgid: number;
  readonly exited: Promise<void>;
  readonly closed: Promise<void>;
  /** Of the group leader (/proc field 22), recorded so that the next agent can tell it from a reused pid. */
  readonly startTime: number | null;
  /** Set when an earlier agent started it: its exit is polled for, not reported. */
  readonly adopted: AdoptedExit | null;
}

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * One supervised process: spawns it in its own process group, probes its health, restarts it
 * with backoff when it exits, and stops it. Every timer and event handler ends in a catch: a
 * failure here is logged, never thrown into the agent's event loop.
 */
export class RevisionProcess {
  private phase: RevisionPhase = RevisionPhase.Starting;
  private run: Run | null = null;
  private restarts = 0;
  private lastError: string | null = null;
  private readySince: number | null = null;
  private exitCode: number | null = null;
  private readonly health: HealthCounters;
  /** Times readiness took the process out of rotation. */
  private outOfRotation = 0;
  /** Set while liveness is restarting the process: why, for the exit that follows. */
  private livenessKill: string | null = null;
  private probe: ProbeResult | null = null;
  /** Bumped on every spawn, so that a late event of an earlier run is ignored. */
  private generation = 0;
  private probeTimer: NodeJS.Timeout | undefined;
  private restartTimer: TimerHandle | undefined;
  private stopRequested = false;
  /** The containment once resolved (by the first launch): spawn and exit handling need it synchronously. */
  private contained: Containment | undefined;
  private stopping: Promise<void> | undefined;
  private readonly backoff: RestartBackoff;
  private readonly listeners = new Set<(status: ProcessStatus) => void>();
  private readonly log: Logger;
  readonly output: LogFile;
  /** Masks the process's secret values (ProcessSpec.secretValues) in its output and in what is read back of it. */
  readonly redactor: Redactor;
  private readonly fifos: OutputFifos;

  constructor(
    readonly spec: ProcessSpec,
    private readonly settings: SupervisorSettings,
    /** Holds every descendant, also those that leave the process group (setsid, detached). */
    private readonly containment: Promise<Containment>,
  ) {
    this.backoff = new RestartBackoff(settings.restartBackoff, settings.crashLoop);
    this.health = new HealthCounters(spec.health, settings.unhealthyAfter);
    this.redactor = new Redactor(spec.secretValues);
    this.log = settings.logger.child({ process: spec.id });
    this.output = new LogFile(spec.logFile, (error) => this.log.error({ err: error, logFile: spec.logFile }, 'cannot write the process log; output is dropped'));
    // LogFile never emits errors of its own; this catches misuse such as a write after close.
    this.output.on('error', (error) => this.log.warn({ err: error }, 'process log stream error'));
    this.fifos = new OutputFifos(spec.pipeDir ?? join(tmpdir(), `gantry-pipes-${settings.scope}`), containmentName(spec.id));
  }

  /** Spawns the command, after `after` settles when given (an earlier process of the same id still releasing the port). */
  start(after?: Promise<void>): void {
    void (after ?? Promise.resolve()).then(
      () => this.launch(),
      () => this.launch(),
    );
  }

  /** Spawns once whatever an earlier run of this id left (a descendant, or an agent killed with -9) is gone: it would hold the port. */
  private async launch(): Promise<void> {
    try {
      const containment = await this.containment;
      this.contained = containment;
      if (!(await containment.kill(KILL_WAIT_MS))) this.log.error({ left: await containment.members() }, 'processes of an earlier run survive SIGKILL; starting anyway');
    } catch (error: unknown) {
      this.log.error({ err: error }, 'clearing what an earlier run left failed');
    }
    let fifos: Awaited<ReturnType<OutputFifos['forSpawn']>> | null = null;
    try {
      fifos = await this.fifos.forSpawn();
    } catch (error: unknown) {
      this.log.warn({ err: error }, 'cannot make the output FIFOs; the output goes through pipes, which a restart of the agent breaks');
    }
    this.spawnRun(fifos);
  }

  /**
   * Takes over a process an earlier agent started and that still runs (the supervisor checked its
   * pid, start time and containment): reads its output FIFOs on, polls for its exit, and probes it
   * at once, so a healthy one is ready again within one probe.
   */
  async adopt(pid: number, startTime: number): Promise<void> {
    this.contained = await this.containment;
    const generation = ++this.generation;
    const watch = new AdoptedExit(pid, startTime);
    const readers = this.fifos.forAdoption();
    const closed = captureOutput(readers, this.redactor, this.output, this.log, () => watch.check());
    this.run = { pgid: pid, exited: watch.exited, closed, startTime, adopted: watch };
    void watch.exited.then(() => this.onExit(generation, null, null, 'exited while adopted from an earlier agent (its exit code is unknown: only its parent saw it)'));
    this.health.reset();
    this.output.note(`adopted process group ${pid} on port ${this.spec.port}, started by an earlier agent and still running: ${this.spec.command}`);
    if (readers.length < 2) this.output.note('its output FIFOs are missing: what it writes is not captured until it restarts');
    this.phase = RevisionPhase.Starting;
    this.emit();
    this.probeTimer = setTimeout(() => void this.runProbe(generation), 0);
    this.probeTimer.unref();
  }

  status(): ProcessStatus {
    return Object.freeze({
      id: this.spec.id,
      phase: this.phase,
      pid: this.run?.pgid ?? null,
      startTime: this.run?.startTime ?? null,
      port: this.spec.port,
      restarts: this.restarts,
      lastError: this.lastError,
      readySince: this.readySince,
      exitCode: this.exitCode,
      outOfRotation: this.outOfRotation,
    });
  }

  /** Stopped, stopping, or crash-looping: not running and not going to run by itself. */
  isDown(): boolean {
    return this.stopRequested || this.phase === RevisionPhase.CrashLoop;
  }

  /** The last probe, described for a person: `GET http://127.0.0.1:4100/healthz → 500 (expected 200)`. */
  describeLastProbe(): string {
    return describeProbe(this.spec.port, this.spec.health, this.probe);
  }

  get lastProbe(): ProbeResult | null {
    return this.probe;
  }

  /** Calls `listener` on every phase change until the returned function is called. */
  subscribe(listener: (status: ProcessStatus) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** SIGTERM to the group, SIGKILL after the grace period; no restart afterwards. Repeating it returns the same promise. */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown().catch((error: unknown) => {
      this.log.error({ err: error }, 'stopping the process failed');
    });
    return this.stopping;
  }

  private spawnRun(fifos: Awaited<ReturnType<OutputFifos['forSpawn']>> | null): void {
    if (this.stopRequested) {
      if (fifos) OutputFifos.closeChildFds(fifos.childFds);
      for (const reader of fifos?.readers ?? []) reader.destroy();
      return;
    }
    const generation = ++this.generation;
    let child: ChildProcess;
    try {
      if (this.contained === undefined) throw new Error('no containment');
      const wrapped = this.contained.wrap(this.spec.command);
      const stdio = fifos ? (['ignore', ...fifos.childFds] as const) : (['ignore', 'pipe', 'pipe'] as const);
      child = spawn(wrapped.file, [...wrapped.args], { cwd: this.spec.cwd, env: { ...this.spec.env, ...wrapped.env }, detached: true, stdio: [...stdio] });
    } catch (error: unknown) {
      for (const reader of fifos?.readers ?? []) reader.destroy();
      this.onExit(generation, null, null, `could not start in ${this.spec.cwd}: ${message(error)}`);
      return;
    } finally {
      // The child has its own copies now; ours would keep the FIFOs from ever reaching EOF.
      if (fifos) OutputFifos.closeChildFds(fifos.childFds);
    }
    const exited = new Promise<void>((resolve) => {
      let ended = false;
      const end = (code: number | null, signal: NodeJS.Signals | null, error: string | null): void => {
        if (ended) return;
        ended = true;
        resolve();
        this.onExit(generation, code, signal, error);
      };
      child.once('exit', (code, signal) => end(code, signal, null));
      child.on('error', (error) => {
        if (child.pid === undefined) end(null, null, `could not start in ${this.spec.cwd}: ${error.message}`);
        else this.log.warn({ err: error }, 'child process error');
      });
    });
    const childClosed = new Promise<void>((resolve) => child.once('close', () => resolve()));
    const streams = fifos ? fifos.readers : [child.stdout, child.stderr].filter((s): s is Readable => s !== null);
    const closed = Promise.all([childClosed, captureOutput(streams, this.redactor, this.output, this.log)]).then(() => undefined);
    // Without a pid the spawn failed; the 'error' event follows and counts as an exit.
    if (child.pid === undefined) return;
    this.run = { pgid: child.pid, exited, closed, startTime: identityOfSync(child.pid)?.startTime ?? null, adopted: null };
    this.health.reset();
    this.livenessKill = null;
    this.probe = null;
    this.readySince = null;
    this.output.note(`started as process group ${child.pid} on port ${this.spec.port}: ${this.spec.command}`);
    this.phase = RevisionPhase.Starting;
    this.emit();
    this.scheduleProbe(generation);
  }

  private onExit(generation: number, code: number | null, signal: NodeJS.Signals | null, error: string | null): void {
    try {
      if (generation !== this.generation) return;
      clearTimeout(this.probeTimer);
      const run = this.run;
      this.run = null;
      this.exitCode = code ?? (signal === null ? null : 128 + (constants.signals[signal] ?? 0));
      const how = this.livenessKill ?? error ?? (signal === null ? `exited with code ${code ?? 'unknown'}` : `was killed by ${signal}`);
      this.livenessKill = null;
      if (this.stopRequested) {
        this.output.note(`${how} (stopping)`);
        return;
      }
      // Whatever the shell left behind would hold the port against the restart, in its group or not.
      // An adopted leader's pid may already be reused (its exit was polled for): the containment covers its group.
      if (run !== null && run.adopted === null) signalGroup(run.pgid, 'SIGKILL');
      void this.contained?.kill(KILL_WAIT_MS).catch((failure: unknown) => this.log.error({ err: failure }, 'killing what the process left failed'));
      this.lastError = how;
      this.readySince = null;
      this.output.note(how);
      const now = this.settings.clock.now();
      const wait = this.backoff.nextDelay(now);
      if (wait === null) {
        this.output.note(`restarted ${this.backoff.recent(now)} times within ${this.settings.crashLoop.windowMs} ms: crash loop, not restarting`);
        this.log.error({ lastError: how, restarts: this.restarts }, 'process is crash-looping; not restarting it');
        this.setPhase(RevisionPhase.CrashLoop);
        return;
      }
      this.output.note(`restarting in ${wait} ms`);
      this.log.warn({ lastError: how, restartInMs: wait }, 'process exited; restarting');
      this.restartTimer = this.settings.clock.setTimeout(() => this.restart(), wait);
      this.setPhase(RevisionPhase.Crashed);
    } catch (failure: unknown) {
      this.log.error({ err: failure }, 'handling the exit of a process failed');
    }
  }

  private restart(): void {
    try {
      this.restartTimer = undefined;
      if (this.stopRequested || this.phase !== RevisionPhase.Crashed) return;
      this.restarts += 1;
      this.backoff.record(this.settings.clock.now());
      void this.launch();
    } catch (error: unknown) {
      this.log.error({ err: error }, 'restarting the process failed');
    }
  }

  private scheduleProbe(generation: number): void {
    const { intervalMs } = this.spec.health;
    const wait = this.phase === RevisionPhase.Starting ? Math.min(intervalMs, STARTING_PROBE_MS) : intervalMs;
    this.probeTimer = setTimeout(() => void this.runProbe(generation), wait);
    // The process itself keeps the agent alive while it runs; probing alone should not.
    this.probeTimer.unref();
  }

  private async runProbe(generation: number): Promise<void> {
    const current = (): boolean => generation === this.generation && this.run !== null && !this.stopRequested && this.livenessKill === null;
    try {
      const result = await probeHealth(this.spec.port, this.spec.health);
      if (!current()) return;
      this.probe = result;
      const state = this.phase === RevisionPhase.Starting ? 'starting' : this.phase === RevisionPhase.Ready ? 'ready' : 'unready';
      const verdict = this.health.onReadiness(result.ok, state);
      if (verdict === 'ready') {
        this.readySince = result.at;
        this.setPhase(RevisionPhase.Ready);
      } else if (verdict === 'unready') {
        this.readySince = null;
        this.outOfRotation += 1;
        this.lastError = `${this.health.failedInARow} health probes failed in a row: ${this.describeLastProbe()}`;
        this.output.note(`out of rotation: ${this.lastError}`);
        this.setPhase(RevisionPhase.Unhealthy);
      }
      const liveness = this.health.separateLiveness ? await probeHealth(this.spec.port, { ...this.spec.health, path: this.health.liveness?.path ?? this.spec.health.path }) : result;
      if (!current()) return;
      if (this.health.onLiveness(liveness.ok) === 'restart') this.restartForLiveness(liveness);
    } catch (error: unknown) {
      this.log.error({ err: error }, 'health probe failed unexpectedly');
    } finally {
      if (current()) this.scheduleProbe(generation);
    }
  }

  /** Liveness failed: SIGTERM, SIGKILL after the grace period; the exit then restarts it with backoff, as a crash. */
  private restartForLiveness(failed: ProbeResult): void {
    const run = this.run;
    if (run === null) return;
    const path = this.health.liveness?.path ?? this.spec.health.path;
    this.livenessKill = `liveness: ${this.health.livenessFailedInARow} probes failed in a row: ${describeProbe(this.spec.port, { ...this.spec.health, path }, failed)}`;
    this.lastError = this.livenessKill;
    this.output.note(`${this.livenessKill}; restarting (SIGTERM to process group ${run.pgid}, SIGKILL after ${this.settings.stopGraceMs} ms)`);
    this.log.warn({ lastError: this.livenessKill }, 'liveness failed; restarting the process');
    if (this.phase === RevisionPhase.Ready) {
      this.readySince = null;
      this.outOfRotation += 1;
      this.setPhase(RevisionPhase.Unhealthy);
    }
    void terminateGroup(run.pgid, run.exited, this.settings.stopGraceMs, () => this.output.note(`still running after ${this.settings.stopGraceMs} ms: SIGKILL to process group ${run.pgid}`)).catch((error: unknown) =>
      this.log.error({ err: error }, 'stopping the process for its restart failed'),
    );
  }

  private async shutdown(): Promise<void> {
    this.stopRequested = true;
    this.restartTimer?.cancel();
    clearTimeout(this.probeTimer);
    const run = this.run;
    this.readySince = null;
    this.setPhase(RevisionPhase.Stopping);
    const containment = await this.containment;
    const grace = this.settings.stopGraceMs;
    const deadline = Date.now() + grace;
    if (run !== null) {
      this.output.note(`stopping: SIGTERM to process group ${run.pgid} and its descendants, SIGKILL after ${grace} ms`);
      // Descendants outside the group get the same SIGTERM, once (a second one means "hurry" to some programs).
      const outside = await this.outsideGroup(containment, run.pgid);
      await terminateGroup(run.pgid, run.exited, grace, () => {
        this.output.note(`still running after ${grace} ms: SIGKILL to process group ${run.pgid}`);
        this.log.warn({ pgid: run.pgid, graceMs: grace }, 'process did not stop within its grace period; killing it');
      }, () => signalEach(outside, 'SIGTERM'));
      while ((await containment.members()).length > 0 && Date.now() < deadline) await delay(POLL_MS);
    }
    const left = await containment.members();
    if (left.length > 0) this.output.note(`SIGKILL to ${left.length} descendant process(es) still running: ${left.join(', ')}`);
    if (!(await containment.kill(KILL_WAIT_MS))) this.log.error({ left: await containment.members() }, 'descendants survive SIGKILL');
    await containment.release();
    await this.fifos.remove();
    if (run !== null) await Promise.race([run.closed, delay(DRAIN_WAIT_MS, undefined, { ref: false })]);
    run?.adopted?.cancel();
    this.run = null;
    this.output.note('stopped');
    this.setPhase(RevisionPhase.Stopped);
    await this.output.close();
  }

  private async outsideGroup(containment: Containment, pgid: number): Promise<number[]> {
    const members = await containment.members();
    const groups = await Promise.all(members.map((pid) => groupOf(pid)));
    return members.filter((_, i) => groups[i] !== pgid);
  }

  private setPhase(phase: RevisionPhase): void {
    if (this.phase === phase) return;
    this.phase = phase;
    this.emit();
  }

  private emit(): void {
    const status = this.status();
    this.log.info({ phase: status.phase, pid: status.pid, restarts: status.restarts }, `process is ${status.phase}`);
    for (const listener of [...this.listeners]) this.safely(() => listener(status));
    this.safely(() => this.settings.onChange?.(status));
  }

  private safely(callback: () => void): void {
    try {
      callback();
    } catch (error: unknown) {
      this.log.error({ err: error }, 'a status listener threw');
    }
  }
}
