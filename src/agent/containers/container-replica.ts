import type Docker from 'dockerode';
import type { ContainerInspectInfo } from 'dockerode';
import type { Logger } from 'pino';
import { Redactor } from '../../secrets/redactor.js';
import { RevisionPhase } from '../../targets/target.js';
import { RestartBackoff } from '../supervisor/backoff.js';
import type { SupervisorSettings } from '../supervisor/options.js';
import type { ProcessSpec, ProcessStatus } from '../supervisor/process-spec.js';
import type { NetworkMode } from './container-config.js';
import { createAndStart, restartContainer, stopAndRemove } from './container-lifecycle.js';
import { containerLogTail } from './container-logs.js';
import type { ContainerSpec } from './container-spec.js';
import { isNotFound, messageOf } from './docker-client.js';
import { EXIT_LOG_LINES, exitReason } from './exit-reason.js';
import type { ImagePuller } from './image-puller.js';
import { parseImageRef } from './image-ref.js';
import { ReplicaProber } from './replica-prober.js';
import type { SecretFiles } from './secret-files.js';

/** How often the engine is asked how the container is: exits and restarts show within this. */
export const INSPECT_MS = 300;

export interface ReplicaContext {
  readonly docker: Docker;
  readonly puller: ImagePuller;
  readonly secrets: SecretFiles;
  readonly network: () => Promise<NetworkMode>;
  readonly settings: SupervisorSettings;
}

/**
 * One replica as a container: pulls its image, creates and starts it, watches the engine's view of
 * it (the engine restarts it on failure, up to the crash-loop budget), probes its health on
 * 127.0.0.1:<port> as the process runtime does, and stops and removes it. Every timer ends in a catch.
 */
export class ContainerReplica {
  private phase: RevisionPhase = RevisionPhase.Starting;
  private lastError: string | null = null;
  private readySince: number | null = null;
  private exitCode: number | null = null;
  private outOfRotation = 0;
  /** The engine's RestartCount of the current container, and the restarts of containers this replica replaced. */
  private engineRestarts = 0;
  private earlierRestarts = 0;
  /** StartedAt of the run being probed; null while none runs. */
  private run: string | null = null;
  /** Why the current run is not ready yet, while it is starting (shown as lastError then, dropped once ready). */
  private notReady: string | null = null;
  /** Set while liveness restarts the container: why, for the exit that follows. */
  private livenessKill: string | null = null;
  private pollTimer: NodeJS.Timeout | undefined;
  private stopRequested = false;
  /** While the container is being (re)made, the engine's view of the old one is no news. */
  private launching = false;
  /** FinishedAt of the last exit already told in lastError. */
  private lastExit: string | null = null;
  private stopping: Promise<void> | undefined;
  private readonly window: RestartBackoff;
  private readonly prober: ReplicaProber;
  private readonly listeners = new Set<(status: ProcessStatus) => void>();
  private readonly log: Logger;
  readonly redactor: Redactor;

  constructor(readonly spec: ProcessSpec & { readonly container: ContainerSpec }, private readonly ctx: ReplicaContext) {
    this.window = new RestartBackoff(ctx.settings.restartBackoff, ctx.settings.crashLoop);
    this.redactor = new Redactor(spec.secretValues);
    this.log = ctx.settings.logger.child({ process: spec.id, container: spec.container.name });
    this.prober = new ReplicaProber(spec.port, spec.health, ctx.settings.unhealthyAfter, {
      state: () => (this.phase === RevisionPhase.Starting ? 'starting' : this.phase === RevisionPhase.Ready ? 'ready' : 'unready'),
      ready: (at) => {
        this.notReady = null;
        this.readySince = at;
        this.setPhase(RevisionPhase.Ready);
      },
      unready: (reason) => {
        this.readySince = null;
        this.outOfRotation += 1;
        this.lastError = reason;
        this.setPhase(RevisionPhase.Unhealthy);
      },
      notReadyYet: (reason) => {
        this.notReady = `not ready yet: ${reason}`;
      },
      livenessFailed: (reason) => this.restartForLiveness(reason),
    }, this.log);
  }

  private get name(): string {
    return this.spec.container.name;
  }

  status(): ProcessStatus {
    return Object.freeze({
      id: this.spec.id,
      phase: this.phase,
      // No process group of ours: state.json records none, so nothing that acts on recorded pids (a process agent on this folder, leftover clean-up) ever signals a container's process.
      pid: null,
      startTime: null,
      port: this.spec.port,
      restarts: this.earlierRestarts + this.engineRestarts,
      lastError: this.phase === RevisionPhase.Starting ? (this.notReady ?? this.lastError) : this.lastError,
      readySince: this.readySince,
      exitCode: this.exitCode,
      outOfRotation: this.outOfRotation,
    });
  }

  isDown(): boolean {
    return this.stopRequested || this.phase === RevisionPhase.CrashLoop;
  }

  subscribe(listener: (status: ProcessStatus) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  describeLastProbe(): string {
    return this.prober.describeLast();
  }

  /** Creates and starts the container once `after` settles (an earlier replica of this id being removed). */
  start(after?: Promise<void>): void {
    void (after ?? Promise.resolve()).then(() => this.launch(), () => this.launch());
  }

  /** Takes over a running container an earlier agent started: watched and probed at once. */
  adopt(info: ContainerInspectInfo): void {
    this.engineRestarts = info.RestartCount;
    void this.note(info).finally(() => this.schedulePoll());
  }

  private async launch(): Promise<void> {
    this.launching = true;
    try {
      await this.make();
    } finally {
      this.launching = false;
    }
    this.schedulePoll(0);
  }

  private async make(): Promise<void> {
    const c = this.spec.container;
    try {
      await this.ctx.puller.ensure(parseImageRef(c.image, c.digest), c.pullAuth);
    } catch (error: unknown) {
      return this.crashLoop(`image pull failed: ${this.redactor.redact(messageOf(error))}`);
    }
    if (this.stopRequested) return;
    try {
      await createAndStart(this.ctx, this.spec, () => this.stopRequested);
      this.engineRestarts = 0;
      this.run = null;
    } catch (error: unknown) {
      this.crashLoop(`the container could not start: ${this.redactor.redact(messageOf(error))}`);
    }
  }

  private crashLoop(reason: string): void {
    if (this.stopRequested) return;
    this.lastError = reason;
    this.readySince = null;
    this.run = null;
    this.log.error({ lastError: reason }, 'container is crash-looping; not restarting it');
    this.setPhase(RevisionPhase.CrashLoop);
  }

  private schedulePoll(wait = INSPECT_MS): void {
    clearTimeout(this.pollTimer);
    if (this.stopRequested || this.phase === RevisionPhase.CrashLoop) return;
    this.pollTimer = setTimeout(() => void this.poll(), wait);
    this.pollTimer.unref();
  }

  private async poll(): Promise<void> {
    if (this.launching) return;
    try {
      const info = await this.ctx.docker.getContainer(this.name).inspect();
      if (!this.stopRequested && !this.launching) await this.note(info);
    } catch (error: unknown) {
      if (this.stopRequested) return;
      if (isNotFound(error)) return this.crashLoop(`container ${this.name} is gone (removed outside Gantry)`);
      this.log.warn({ err: error }, 'cannot inspect the container; asking again');
    }
    this.schedulePoll();
  }

  /** What the engine says of the container, turned into the replica's phase. */
  private async note(info: ContainerInspectInfo): Promise<void> {
    const now = this.ctx.settings.clock.now();
    for (let n = this.engineRestarts; n < info.RestartCount; n++) this.window.record(now);
    this.engineRestarts = info.RestartCount;
    const state = info.State;
    if (state.Running && !state.Restarting) {
      if (this.run !== state.StartedAt) {
        this.run = state.StartedAt;
        this.notReady = null;
        this.readySince = null;
        this.livenessKill = null;
        this.setPhase(RevisionPhase.Starting);
        this.prober.begin();
      }
      return;
    }
    if (state.Status === 'created') return;
    this.run = null;
    this.prober.end();
    if (state.FinishedAt !== this.lastExit) {
      this.lastExit = state.FinishedAt;
      this.exitCode = state.ExitCode;
      const lines = (await containerLogTail(this.ctx.docker, this.name, EXIT_LOG_LINES * 2)).map((line) => this.redactor.redact(line));
      this.lastError = this.livenessKill ?? exitReason(info, lines);
      this.livenessKill = null;
      this.readySince = null;
    }
    if (state.Restarting) return this.setPhase(RevisionPhase.Crashed);
    // Exited, and the engine will not restart it (code 0, or its on-failure budget spent): made anew while the window allows.
    if (this.window.recent(now) < this.ctx.settings.crashLoop.maxRestarts) {
      this.window.record(now);
      this.earlierRestarts += this.engineRestarts + 1;
      this.engineRestarts = 0;
      this.setPhase(RevisionPhase.Crashed);
      this.log.warn({ lastError: this.lastError }, 'container exited; making it anew');
      this.launching = true;
      setImmediate(() => void this.launch());
      return;
    }
    this.crashLoop(`${this.lastError ?? 'exited'}; restarted ${this.window.recent(now)} times within ${this.ctx.settings.crashLoop.windowMs} ms: crash loop, not restarting`);
  }

  /** Liveness failed: the engine restarts the container (SIGTERM, SIGKILL after the grace period); the new run is probed afresh. */
  private restartForLiveness(reason: string): void {
    this.livenessKill = reason;
    this.lastError = reason;
    if (this.phase === RevisionPhase.Ready) {
      this.readySince = null;
      this.outOfRotation += 1;
      this.setPhase(RevisionPhase.Unhealthy);
    }
    restartContainer(this.ctx, this.name, this.log);
  }

  /** Stops the container within the grace period, removes it and its secret files; repeating it returns the same promise. */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown().catch((error: unknown) => this.log.error({ err: error }, 'stopping the container failed'));
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    this.stopRequested = true;
    clearTimeout(this.pollTimer);
    this.prober.end();
    this.readySince = null;
    this.setPhase(RevisionPhase.Stopping);
    await stopAndRemove(this.ctx, this.name, this.log);
    this.run = null;
    this.setPhase(RevisionPhase.Stopped);
  }

  private setPhase(phase: RevisionPhase): void {
    if (this.phase === phase) return;
    this.phase = phase;
    const status = this.status();
    this.log.info({ phase, restarts: status.restarts }, `container is ${phase}`);
    for (const listener of [...this.listeners]) this.safely(() => listener(status));
    this.safely(() => this.ctx.settings.onChange?.(status));
  }

  private safely(callback: () => void): void {
    try {
      callback();
    } catch (error: unknown) {
      this.log.error({ err: error }, 'a status listener threw');
    }
  }
}
