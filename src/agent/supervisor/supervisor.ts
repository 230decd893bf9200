import { InternalError, NotFoundError } from '../../errors/index.js';
import type { ReplicaRuntime } from '../replica-runtime.js';
import { adoptionVerdict, type RecordedProcess } from './adoption.js';
import { awaitReady } from './await-ready.js';
import { detectContainment, type ContainmentFactory, type ContainmentKind } from './containment.js';
import { readLogTail } from './log-tail.js';
import { resolveOptions, type SupervisorOptions, type SupervisorSettings } from './options.js';
import { signalGroup } from './process-group.js';
import type { ProcessSpec, ProcessStatus } from './process-spec.js';
import { RevisionProcess } from './revision-process.js';

// The contract's types travel with the class, so callers need one import.
export type { ProcessSpec, ProcessStatus } from './process-spec.js';
export type { SupervisorOptions } from './options.js';
export type { RecordedProcess } from './adoption.js';

/**
 * The data plane's process supervisor: runs each replica of each revision as a real process
 * group inside its own containment (a cgroup, or an environment marker: containment.ts), probes
 * its health, restarts crashes with backoff, and stops it and every descendant cleanly. Processes are
 * keyed by `ProcessSpec.id`; a stopped one stays listed (phase `stopped`) until started again.
 */
export class Supervisor implements ReplicaRuntime {
  readonly kind = 'process';
  private readonly settings: SupervisorSettings;
  private readonly processes = new Map<string, RevisionProcess>();
  private readonly containment: Promise<ContainmentFactory>;

  constructor(options: SupervisorOptions = {}) {
    this.settings = resolveOptions(options);
    this.containment = detectContainment(this.settings.scope, this.settings.logger, this.settings.containment);
  }

  /** How this supervisor holds descendants: a cgroup per process, or an environment marker. */
  async containmentKind(): Promise<ContainmentKind> {
    return (await this.containment).kind;
  }

  /**
   * Starts the process unless one with this id is running (then returns its status and does
   * nothing). A stopped or crash-looping id starts afresh, once its old group has released the port.
   */
  start(spec: ProcessSpec): ProcessStatus {
    const existing = this.processes.get(spec.id);
    if (existing !== undefined && !existing.isDown()) return existing.status();
    const proc = new RevisionProcess(spec, this.settings, this.containment.then((factory) => factory.for(spec.id)));
    this.processes.set(spec.id, proc);
    proc.start(existing?.stop());
    return proc.status();
  }

  /**
   * For the agent's own restart: takes over the process an earlier agent recorded for this spec when
   * the very same process still runs inside its containment (it keeps its pid, port and output, and
   * is probed at once); otherwise starts the spec the way `start` does, after killing the recorded group
   * when it is ours (never a reused pid). Resolves with whether it was adopted.
   */
  async adopt(spec: ProcessSpec, recorded: RecordedProcess): Promise<{ readonly adopted: boolean; readonly status: ProcessStatus }> {
    const existing = this.processes.get(spec.id);
    if (existing !== undefined && !existing.isDown()) return { adopted: false, status: existing.status() };
    const containment = (await this.containment).for(spec.id);
    const verdict = await adoptionVerdict(recorded, containment).catch(() => 'kill' as const);
    if (verdict === 'adopt' && typeof recorded.startTime === 'number' && this.processes.get(spec.id) === existing) {
      const proc = new RevisionProcess(spec, this.settings, Promise.resolve(containment));
      this.processes.set(spec.id, proc);
      await proc.adopt(recorded.pid, recorded.startTime);
      return { adopted: true, status: proc.status() };
    }
    if (verdict === 'kill') {
      try {
        Supervisor.killOrphan(recorded.pid);
      } catch (error: unknown) {
        this.settings.logger.error({ err: error, process: spec.id, pid: recorded.pid }, 'cannot kill the process group an earlier agent left; starting anyway');
      }
    }
    return { adopted: false, status: this.start(spec) };
  }

  status(id: string): ProcessStatus | undefined {
    return this.processes.get(id)?.status();
  }

  list(): ProcessStatus[] {
    return [...this.processes.values()].map((proc) => proc.status());
  }

  /** Resolves once the process is ready; rejects with a GantryError when it crash-loops, is stopped, the deadline passes, or `signal` aborts. */
  awaitReady(id: string, deadlineMs: number, signal?: AbortSignal): Promise<ProcessStatus> {
    const proc = this.processes.get(id);
    if (proc === undefined) return Promise.reject(notFound(id));
    return awaitReady(proc, deadlineMs, signal);
  }

  /** SIGTERM to the group, SIGKILL after the grace period; never restarted afterwards. Stopping an unknown or stopped id does nothing. */
  async stop(id: string): Promise<void> {
    await this.processes.get(id)?.stop();
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.processes.values()].map((proc) => proc.stop()));
  }

  /**
   * The last `lines` lines of the process's log file (reaching into the rotated one), masked again:
   * a file an agent wrote before it masked output may still hold a secret.
   */
  async logTail(id: string, lines: number): Promise<string[]> {
    const proc = this.processes.get(id);
    if (proc === undefined) throw notFound(id);
    return (await readLogTail(proc.spec.logFile, lines)).map((line) => proc.redactor.redact(line));
  }

  /**
   * SIGKILLs the process group a previous agent left (pid from its persisted state) when it cannot be
   * adopted. A group that is already gone is fine; EPERM is thrown (not ours to kill).
   */
  static killOrphan(pid: number): void {
    // -1 would signal every process we may signal, and 0 our own group.
    if (!Number.isSafeInteger(pid) || pid <= 1 || pid === process.pid) throw new InternalError(`refusing to kill process group ${pid}: not a process group left by a previous agent`);
    signalGroup(pid, 'SIGKILL');
  }
}

function notFound(id: string): NotFoundError {
  return new NotFoundError('NOT_FOUND', `no supervised process has the id ${id}`, { where: id, hint: 'Start it first; `list()` shows the known ids.' });
}
