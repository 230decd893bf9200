import { HealthCheckError, TargetError, TimeoutError, type GantryError } from '../../errors/index.js';
import { RevisionPhase } from '../../targets/target.js';
import { readLogTail } from './log-tail.js';
import type { RevisionProcess } from './revision-process.js';

/** Lines of the process log carried in `details.logTail`: enough to show a stack trace. */
export const READY_ERROR_LOG_LINES = 30;

/** Why `awaitReady` gave up: the process crash-loops, was stopped, or the deadline passed. */
export type ReadyFailure = 'crash-loop' | 'stopped' | 'deadline';

/**
 * The error `awaitReady` rejects with: it names the process and what was last seen of it (probe
 * answer or exit), points at the log file, and carries the log's last lines.
 */
export async function readyError(proc: RevisionProcess, failure: ReadyFailure, deadlineMs: number): Promise<GantryError> {
  const status = proc.status();
  const { id, logFile, cwd } = proc.spec;
  const logTail = (await readLogTail(logFile, READY_ERROR_LOG_LINES).catch(() => [])).map((line) => proc.redactor.redact(line));
  const options = {
    where: id,
    details: { id, phase: status.phase, pid: status.pid, port: status.port, restarts: status.restarts, exitCode: status.exitCode, lastError: status.lastError, lastProbe: proc.lastProbe, logFile, logTail },
  };
  const readLog = `Read the process log at ${logFile} (its last lines are in details.logTail)`;
  if (failure === 'crash-loop') {
    return new HealthCheckError('REVISION_CRASH_LOOP', `${id} ${status.lastError ?? 'exited'} and was restarted ${status.restarts} times; it is crash-looping and will not be restarted again`, {
      ...options,
      hint: `${readLog}; run its command by hand in ${cwd} to see why it exits.`,
    });
  }
  if (failure === 'stopped') {
    return new TargetError('REVISION_GONE', `${id} was stopped before it became ready`, { ...options, hint: 'Something else stopped this revision (a newer deployment or a rollback); see the run history.' });
  }
  const probe = proc.describeLastProbe();
  if (status.phase === RevisionPhase.Crashed) {
    return new TimeoutError('REVISION_NOT_READY', `${id} did not become ready within ${deadlineMs} ms: it ${status.lastError ?? 'exited'} and is restarting (restarts: ${status.restarts})`, {
      ...options,
      hint: `${readLog}; run its command by hand in ${cwd} to see why it exits.`,
    });
  }
  if (proc.lastProbe?.status != null) {
    return new HealthCheckError('HEALTH_CHECK_FAILED', `${id} did not pass its health check within ${deadlineMs} ms: ${probe}`, {
      ...options,
      hint: `The process answers, but not with the expected status. ${readLog}, and check what ${proc.spec.health.path} reports.`,
    });
  }
  return new TimeoutError('REVISION_NOT_READY', `${id} did not become ready within ${deadlineMs} ms: ${probe}`, {
    ...options,
    hint: `Check that it listens on 127.0.0.1:${status.port} (the PORT variable) and serves ${proc.spec.health.path}; ${readLog}. If it is merely slow to start, raise health.deadline in gantry.yaml.`,
  });
}
