import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ContainerProcess } from './container-process.js';
import type { PulledImage } from './image-store.js';
import { ContainerConfigError, type EnvFromSource, type EnvVar } from './pod-env.js';
import { probeHttp, probeTcp, type ProbeSpec } from './probe.js';
import { kubeTime } from './kube-util.js';

export interface ContainerSpec {
  name: string;
  image: string;
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  command?: string[];
  args?: string[];
  workingDir?: string;
  env?: EnvVar[];
  envFrom?: EnvFromSource[];
  readinessProbe?: ProbeSpec;
  livenessProbe?: ProbeSpec;
}

type State = { waiting: { reason: string; message?: string } } | { running: { startedAt: string } } | { terminated: Terminated };
interface Terminated {
  exitCode: number;
  reason: string;
  startedAt: string;
  finishedAt: string;
  containerID: string;
  message?: string;
  signal?: number;
}

/** What a container needs from its pod: image, environment, events, backoff and the status write. */
export interface ContainerHost {
  readonly podLabel: string;
  readonly port: number;
  readonly restartPolicy: 'Always' | 'OnFailure' | 'Never';
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  /** terminationGracePeriodSeconds in ms: how long a liveness kill waits before SIGKILL. */
  readonly graceMs: number;
  readonly signal: AbortSignal;
  pullImage(spec: ContainerSpec): Promise<PulledImage>;
  env(image: PulledImage, spec: ContainerSpec): Record<string, string>;
  event(type: 'Normal' | 'Warning', reason: string, message: string): void;
  changed(): void;
}

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });

/**
 * One container of a pod, through the states the kubelet reports: waiting (ContainerCreating,
 * ErrImagePull, ImagePullBackOff, CreateContainerConfigError, CrashLoopBackOff), running, terminated;
 * restarts by the pod's restartPolicy with the crash-loop backoff (base·2^n, capped); probes.
 */
export class ContainerWorker {
  state: State = { waiting: { reason: 'ContainerCreating' } };
  lastState: State | Record<string, never> = {};
  restartCount = 0;
  ready = false;
  imageID = '';
  containerID = '';
  current: ContainerProcess | undefined;
  previous: ContainerProcess | undefined;
  private oomPending = false;
  private everStarted = false;

  constructor(readonly spec: ContainerSpec, private readonly host: ContainerHost) {}

  get started(): boolean {
    return this.everStarted;
  }

  oomKill(): void {
    if (!this.current?.running) return;
    this.oomPending = true;
    this.current.signal('SIGKILL');
  }

  async run(): Promise<void> {
    const { host } = this;
    let pullFailures = 0;
    let crashes = 0;
    while (!host.signal.aborted) {
      let image: PulledImage;
      try {
        image = await host.pullImage(this.spec);
        pullFailures = 0;
      } catch (error: unknown) {
        if (host.signal.aborted) return;
        const message = error instanceof Error ? error.message : String(error);
        this.setState({ waiting: { reason: 'ErrImagePull', message } });
        host.event('Warning', 'Failed', `Failed to pull image "${this.spec.image}": ${message}`);
        host.event('Warning', 'Failed', 'Error: ErrImagePull');
        const wait = this.backoff(pullFailures++);
        await sleep(Math.min(wait / 2, 1000), host.signal);
        if (host.signal.aborted) return;
        this.setState({ waiting: { reason: 'ImagePullBackOff', message: `Back-off pulling image "${this.spec.image}"` } });
        host.event('Normal', 'BackOff', `Back-off pulling image "${this.spec.image}"`);
        host.event('Warning', 'Failed', 'Error: ImagePullBackOff');
        await sleep(wait - Math.min(wait / 2, 1000), host.signal);
        continue;
      }
      // Stopped while the image was being pulled: nothing may start after that.
      if (host.signal.aborted) return;
      let env: Record<string, string>;
      try {
        env = host.env(image, this.spec);
      } catch (error: unknown) {
        if (!(error instanceof ContainerConfigError)) throw error;
        this.setState({ waiting: { reason: 'CreateContainerConfigError', message: error.message } });
        host.event('Warning', 'Failed', `Error: ${error.message}`);
        await sleep(this.backoff(0), host.signal);
        continue;
      }
      const exit = await this.runOnce(image, env);
      if (host.signal.aborted) return;
      const policy = host.restartPolicy;
      if (policy === 'Never' || (policy === 'OnFailure' && exit === 0)) return;
      // The first restart is immediate; later ones wait in CrashLoopBackOff, as the kubelet's backoff keys do.
      if (crashes > 0) {
        const wait = this.backoff(crashes - 1);
        this.lastState = this.state;
        this.setState({ waiting: { reason: 'CrashLoopBackOff', message: `back-off ${formatDuration(wait)} restarting failed container=${this.spec.name} pod=${host.podLabel}` } });
        host.event('Warning', 'BackOff', `Back-off restarting failed container ${this.spec.name} in pod ${host.podLabel}`);
        await sleep(wait, host.signal);
        if (host.signal.aborted) return;
      }
      crashes += 1;
      this.lastState = 'terminated' in this.state ? this.state : this.lastState;
      this.restartCount += 1;
    }
  }

  /** Stops the running process (SIGTERM, SIGKILL after the grace period). */
  async stop(graceMs: number): Promise<void> {
    if (this.current?.running) {
      this.host.event('Normal', 'Killing', `Stopping container ${this.spec.name}`);
      await this.current.stop(graceMs);
    }
  }

  private async runOnce(image: PulledImage, env: Record<string, string>): Promise<number> {
    const argv = [...(this.spec.command ?? image.entrypoint), ...(this.spec.args ?? (this.spec.command ? [] : image.cmd))];
    const cwd = join(image.rootfs, this.spec.workingDir ?? image.workingDir ?? '/');
    // The runtime creates a working folder the image lacks.
    mkdirSync(cwd, { recursive: true });
    this.imageID = `${this.spec.image.replace(/[:@].*$/, '').replace(/@.*$/, '')}@${image.digest}`;
    this.containerID = `containerd://${randomBytes(32).toString('hex')}`;
    if (this.current) this.previous = this.current;
    const proc = new ContainerProcess(argv, { cwd, env });
    this.current = proc;
    this.everStarted = true;
    const startedAt = kubeTime();
    this.host.event('Normal', 'Created', `Created container ${this.spec.name}`);
    void proc.spawned.then((ok) => ok && this.host.event('Normal', 'Started', `Started container ${this.spec.name}`));
    this.ready = this.spec.readinessProbe === undefined;
    this.setState({ running: { startedAt } });
    const probing = new AbortController();
    if (this.spec.readinessProbe) void this.probeLoop('Readiness', this.spec.readinessProbe, probing.signal, proc);
    if (this.spec.livenessProbe) void this.probeLoop('Liveness', this.spec.livenessProbe, probing.signal, proc);
    const { code, signal } = await proc.exited;
    probing.abort();
    const oom = this.oomPending;
    this.oomPending = false;
    const exitCode = oom ? 137 : (code ?? 128 + signalNumber(signal));
    this.ready = false;
    const reason = oom ? 'OOMKilled' : proc.startError !== undefined ? 'StartError' : exitCode === 0 ? 'Completed' : 'Error';
    const terminated: Terminated = { exitCode, reason, ...(proc.startError !== undefined ? { message: proc.startError } : {}), startedAt, finishedAt: kubeTime(), containerID: this.containerID };
    if (proc.startError !== undefined) this.host.event('Warning', 'Failed', `Error: ${proc.startError}`);
    this.setState({ terminated });
    return exitCode;
  }

  private async probeLoop(kind: 'Readiness' | 'Liveness', spec: ProbeSpec, signal: AbortSignal, proc: ContainerProcess): Promise<void> {
    const periodMs = (spec.periodSeconds ?? 10) * 1000;
    const failureThreshold = spec.failureThreshold ?? 3;
    const successThreshold = spec.successThreshold ?? 1;
    let successes = 0;
    let failures = 0;
    await sleep((spec.initialDelaySeconds ?? 0) * 1000, signal);
    while (!signal.aborted && proc.running) {
      const result = spec.httpGet ? await probeHttp(spec, this.host.port) : spec.tcpSocket ? await probeTcp(spec, this.host.port) : ({ ok: true } as const);
      if (signal.aborted) return;
      if (result.ok) {
        successes += 1;
        failures = 0;
        if (kind === 'Readiness' && !this.ready && successes >= successThreshold) {
          this.ready = true;
          this.host.changed();
        }
      } else {
        failures += 1;
        successes = 0;
        this.host.event('Warning', 'Unhealthy', `${kind} probe failed: ${result.message}`);
        if (failures >= failureThreshold) {
          if (kind === 'Readiness' && this.ready) {
            this.ready = false;
            this.host.changed();
          }
          if (kind === 'Liveness') {
            this.host.event('Normal', 'Killing', `Container ${this.spec.name} failed liveness probe, will be restarted`);
            await proc.stop(this.host.graceMs);
            return;
          }
        }
      }
      await sleep(periodMs, signal);
    }
  }

  private backoff(n: number): number {
    return Math.min(this.host.backoffBaseMs * 2 ** n, this.host.backoffMaxMs);
  }

  private setState(state: State): void {
    this.state = state;
    this.host.changed();
  }
}

const SIGNALS: Readonly<Record<string, number>> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15, SIGSEGV: 11, SIGABRT: 6 };
const signalNumber = (signal: NodeJS.Signals | null): number => (signal === null ? 0 : (SIGNALS[signal] ?? 0));

/** Go's time.Duration text for whole seconds and milliseconds: 10s, 5m0s, 200ms. */
function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const s = Math.round(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m${s % 60}s` : `${s}s`;
}
