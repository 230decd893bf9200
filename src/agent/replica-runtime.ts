import type { RecordedProcess } from './supervisor/adoption.js';
import type { ProcessSpec, ProcessStatus } from './supervisor/process-spec.js';
import type { RevisionSpec } from '../targets/target.js';

/**
 * What the agent asks of whatever runs a revision's replicas: the process Supervisor (the default,
 * each replica a process group on this machine) or the ContainerRuntime (each replica a Docker
 * container). Replicas are keyed by `ProcessSpec.id`; every one listens on 127.0.0.1:<port>, where
 * the agent's router and its health probe reach it, whatever runs it.
 */
export interface ReplicaRuntime {
  /** `process` or `docker`: what GET /v1/health reports, and whether the agent unpacks artifacts itself. */
  readonly kind: 'process' | 'docker';
  /**
   * Checks and fetches what the revision runs before any replica starts; a refusal (an artifact
   * not pinned by digest, one its source does not hold) starts nothing. Absent: the agent unpacks
   * the artifact's OCI layout itself (the process runtime).
   */
  prepare?(spec: RevisionSpec): Promise<void>;
  /** Starts the replica unless one with this id runs (then returns its status and does nothing). */
  start(spec: ProcessSpec): ProcessStatus;
  /** After an agent restart: takes over the replica an earlier agent left when it still runs, else starts it. */
  adopt(spec: ProcessSpec, recorded: RecordedProcess): Promise<{ readonly adopted: boolean; readonly status: ProcessStatus }>;
  status(id: string): ProcessStatus | undefined;
  list(): ProcessStatus[];
  /** Resolves once ready; rejects with a GantryError when it crash-loops, is stopped, the deadline passes, or `signal` aborts. */
  awaitReady(id: string, deadlineMs: number, signal?: AbortSignal): Promise<ProcessStatus>;
  /** Stops the replica within its grace period; never restarted afterwards. An unknown or stopped id: nothing. */
  stop(id: string): Promise<void>;
  stopAll(): Promise<void>;
  /** The last `lines` lines of its output, with the revision's secrets masked. */
  logTail(id: string, lines: number): Promise<string[]>;
  /** How the runtime holds a replica and what it starts: a cgroup or marker per process, or a container. */
  containmentKind(): Promise<string>;
}
