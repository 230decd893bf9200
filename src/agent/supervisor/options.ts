import { randomBytes } from 'node:crypto';
import { pino, type Logger } from 'pino';
import { systemClock, type Clock } from '../../kernel/clock.js';
import type { ContainmentKind } from './containment.js';
import type { ProcessStatus } from './process-spec.js';

export interface BackoffPolicy {
  readonly initialMs: number;
  readonly maxMs: number;
}

export interface CrashLoopPolicy {
  readonly maxRestarts: number;
  readonly windowMs: number;
}

export interface SupervisorOptions {
  /** Delay before restarting a crashed process, doubling per recent restart. */
  readonly restartBackoff?: BackoffPolicy;
  /** More than `maxRestarts` restarts within `windowMs` → phase `crash-loop`, no more restarts. */
  readonly crashLoop?: CrashLoopPolicy;
  /** Between SIGTERM and SIGKILL of the whole process group. */
  readonly stopGraceMs?: number;
  /** Consecutive failed probes before `ready` turns `unhealthy`. */
  readonly unhealthyAfter?: number;
  readonly logger?: Logger;
  /**
   * Names this supervisor's cgroups and environment markers; the agent derives it from its data
   * folder, so its next start finds what this one left. Default: unique to this supervisor.
   */
  readonly scope?: string;
  /** How descendants are held (containment.ts); `auto` takes a cgroup when one works here. */
  readonly containment?: ContainmentKind | 'auto';
  /** Called on every phase change; what it throws is logged and ignored. */
  readonly onChange?: (status: ProcessStatus) => void;
  /**
   * Times the restart backoff and the crash-loop window (a FakeClock in tests). Probes, the stop
   * grace and kill waits stay on real timers: they wait on a real process, which fake time does not hurry.
   */
  readonly clock?: Clock;
}

export const DEFAULT_RESTART_BACKOFF: BackoffPolicy = { initialMs: 500, maxMs: 10_000 };
export const DEFAULT_CRASH_LOOP: CrashLoopPolicy = { maxRestarts: 5, windowMs: 60_000 };
export const DEFAULT_STOP_GRACE_MS = 10_000;
export const DEFAULT_UNHEALTHY_AFTER = 3;

/** The options with every default resolved. */
export interface SupervisorSettings {
  readonly restartBackoff: BackoffPolicy;
  readonly crashLoop: CrashLoopPolicy;
  readonly stopGraceMs: number;
  readonly unhealthyAfter: number;
  readonly logger: Logger;
  readonly scope: string;
  readonly containment: ContainmentKind | 'auto';
  readonly onChange: ((status: ProcessStatus) => void) | undefined;
  readonly clock: Clock;
}

export function resolveOptions(options: SupervisorOptions): SupervisorSettings {
  return Object.freeze({
    restartBackoff: options.restartBackoff ?? DEFAULT_RESTART_BACKOFF,
    crashLoop: options.crashLoop ?? DEFAULT_CRASH_LOOP,
    stopGraceMs: options.stopGraceMs ?? DEFAULT_STOP_GRACE_MS,
    unhealthyAfter: Math.max(1, options.unhealthyAfter ?? DEFAULT_UNHEALTHY_AFTER),
    logger: options.logger ?? pino({ level: 'silent' }),
    scope: options.scope ?? randomBytes(6).toString('hex'),
    containment: options.containment ?? 'auto',
    onChange: options.onChange,
    clock: options.clock ?? systemClock,
  });
}
