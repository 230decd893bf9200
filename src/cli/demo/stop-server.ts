import type { ChildProcess } from 'node:child_process';

/** How long the demo's server may take to shut down before it is killed. */
export const SERVER_STOP_MS = 20_000;

/**
 * SIGTERM, then waits for the server to exit; SIGKILL after `timeoutMs`. A server whose shutdown
 * waits on an agent or an engine the demo is also stopping must not outlive the demo.
 */
export async function stopServer(server: ChildProcess, timeoutMs = SERVER_STOP_MS): Promise<void> {
  if (server.exitCode !== null || server.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
  server.kill('SIGTERM');
  const killer = setTimeout(() => server.kill('SIGKILL'), timeoutMs);
  await exited;
  clearTimeout(killer);
}
