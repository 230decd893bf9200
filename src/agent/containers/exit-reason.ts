import type { ContainerInspectInfo } from 'dockerode';

/** Log lines carried in a crash's lastError: enough to see why it exited, short enough for a status line. */
export const EXIT_LOG_LINES = 5;

const mib = (bytes: number): string => `${Math.round(bytes / (1024 * 1024))} MiB`;

/**
 * Why a container's last run ended, for lastError and the automatic rollback: killed for memory
 * (`OOMKilled (memory limit 64 MiB)`), an engine error (a command it could not start), or its exit code;
 * followed by its last log lines (already masked by the caller).
 */
export function exitReason(info: ContainerInspectInfo, lastLines: readonly string[]): string {
  const state = info.State;
  const limit = info.HostConfig.Memory ?? 0;
  const how = state.OOMKilled
    ? `OOMKilled (memory limit ${limit > 0 ? mib(limit) : 'none set: the host ran out of memory'}); exited with code ${state.ExitCode}`
    : state.Error
      ? `could not run: ${state.Error}`
      : `exited with code ${state.ExitCode}`;
  const tail = lastLines.filter((line) => line.trim() !== '').slice(-EXIT_LOG_LINES);
  return tail.length === 0 ? how : `${how}; last log lines: ${tail.join(' | ')}`;
}
