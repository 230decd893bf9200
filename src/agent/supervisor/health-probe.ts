import { request } from 'node:http';
import type { HealthProbe } from '../../targets/target.js';

export interface ProbeResult {
  /** The status answered was the expected one. */
  readonly ok: boolean;
  /** The HTTP status, or null when nothing answered in time. */
  readonly status: number | null;
  /** Why nothing answered (connection refused, timeout …). */
  readonly error: string | null;
  readonly at: number;
}

/**
 * One GET to the process's health path on loopback. Never rejects: a failure is a result.
 * `agent: false` gives each probe its own connection, closed after the answer, so probes never
 * hold sockets open between rounds or keep the agent alive.
 */
export function probeHealth(port: number, probe: HealthProbe): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (status: number | null, error: string | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ok: status === probe.expectStatus, status, error, at: Date.now() });
    };
    const req = request(
      { host: '127.0.0.1', port, path: probe.path, method: 'GET', agent: false, headers: { 'user-agent': 'gantry-health-probe', connection: 'close' } },
      (res) => {
        finish(res.statusCode ?? null, null);
        // Only the status matters; a streaming body must not keep the connection open.
        res.destroy();
      },
    );
    const timer = setTimeout(() => {
      finish(null, `no answer within ${probe.timeoutMs} ms`);
      req.destroy();
    }, probe.timeoutMs);
    // The probe loop is not a reason to keep the agent alive after everything stopped.
    timer.unref();
    req.on('error', (error) => finish(null, error.message));
    req.end();
  });
}

/** `GET http://127.0.0.1:4100/healthz → 500 (expected 200)`, or the reason nothing answered. */
export function describeProbe(port: number, probe: HealthProbe, result: ProbeResult | null): string {
  const target = `GET http://127.0.0.1:${port}${probe.path}`;
  if (result === null) return `${target} was not probed yet`;
  if (result.status !== null) return `${target} → ${result.status} (expected ${probe.expectStatus})`;
  return `${target} failed: ${result.error ?? 'no answer'}`;
}
