import type { HealthProbe, RevisionPhase } from '../../targets/target.js';
import type { ContainerSpec } from '../containers/container-spec.js';

/** One replica of one revision, as the supervisor runs it. */
export interface ProcessSpec {
  /** Unique, e.g. `production/nest-api/7/0` (environment/service/revision/replica). */
  readonly id: string;
  /** Run with `/bin/sh -c`, in its own process group so that stopping it stops what it started. */
  readonly command: string;
  readonly cwd: string;
  /** The complete environment; the caller adds PORT. */
  readonly env: Readonly<Record<string, string>>;
  /** The port the process must listen on; health probes go to 127.0.0.1 on it. */
  readonly port: number;
  readonly health: HealthProbe;
  /**
   * Values (the revision's secrets) masked, with their encoded forms, in stdout and stderr before
   * the output is written to `logFile`, and in the log lines the supervisor hands out.
   */
  readonly secretValues: readonly string[];
  /** stdout and stderr are appended here, rotated to `<logFile>.1` past a bounded size. */
  readonly logFile: string;
  /**
   * Where its output FIFOs live (`<containment name>.out`, `.err`: output-fifo.ts); the agent keeps
   * them in its data folder, so its next start finds them. Default: a folder per supervisor scope in the temp folder.
   */
  readonly pipeDir?: string;
  /** Set by the agent when the docker runtime runs the replica (containers/); the process runtime ignores it. */
  readonly container?: ContainerSpec;
}

/** A snapshot of one supervised process; a new object on every change. */
export interface ProcessStatus {
  readonly id: string;
  readonly phase: RevisionPhase;
  /** The process group id (the shell's pid) while a process runs. */
  readonly pid: number | null;
  /** When the group leader started (/proc field 22, clock ticks after boot), while it runs; null where /proc cannot tell. */
  readonly startTime: number | null;
  readonly port: number;
  readonly restarts: number;
  /** Why it last crashed or turned unhealthy; kept after it recovers, as history. */
  readonly lastError: string | null;
  /** Epoch ms of the last transition to `ready`; null while not ready. */
  readonly readySince: number | null;
  /** Exit status of the last run (128 + signal number when killed by a signal). */
  readonly exitCode: number | null;
  /** Times its readiness probe (or liveness, before a restart) took it out of rotation. */
  readonly outOfRotation: number;
}
