import type { HealthConfig, SmokeConfig } from '../../config/types.js';
import { HealthCheckError } from '../../errors/index.js';
import type { Clock } from '../../kernel/clock.js';

/**
 * Polls a health endpoint until it answers the expected status, or fails at the deadline with the
 * last answer. The deadline and the pause between polls are on the step's clock; each request's own
 * timeout is a real one (it bounds a real socket).
 */
export async function checkHealth(baseUrl: string, health: HealthConfig, signal: AbortSignal, log: (line: string) => void, clock: Clock): Promise<void> {
  const url = `${baseUrl}${health.path}`;
  const deadline = clock.now() + health.deadlineMs;
  let last = 'no answer yet';
  for (;;) {
    try {
      const res = await fetch(url, { signal: AbortSignal.any([signal, AbortSignal.timeout(health.timeoutMs)]) });
      await res.arrayBuffer();
      if (res.status === health.expectStatus) {
        log(`health ${url}: ${res.status}`);
        return;
      }
      last = `status ${res.status}`;
    } catch (error: unknown) {
      if (signal.aborted) throw signal.reason;
      last = error instanceof Error ? error.message : String(error);
    }
    if (clock.now() + health.intervalMs > deadline) {
      throw new HealthCheckError('HEALTH_CHECK_FAILED', `health check ${url} did not answer ${health.expectStatus} within ${health.deadlineMs} ms (last: ${last})`, {
        hint: "Check the service's log and its `health` settings in gantry.yaml.",
      });
    }
    await clock.sleep(health.intervalMs, signal);
  }
}

function field(value: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), value);
}

/** Runs the smoke tests against a base URL; the first failure throws, naming the test, URL and what came back. */
export async function runSmokeTests(baseUrl: string, tests: readonly SmokeConfig[], signal: AbortSignal, log: (line: string) => void): Promise<void> {
  for (const t of tests) {
    const url = `${baseUrl}${t.path}`;
    const fail = (what: string): never => {
      throw new HealthCheckError('SMOKE_TEST_FAILED', `smoke test "${t.name}" ${t.method} ${url}: ${what}`, { hint: 'Fix the service or the smoke test in gantry.yaml.' });
    };
    let res: Response;
    try {
      res = await fetch(url, { method: t.method, signal: AbortSignal.any([signal, AbortSignal.timeout(10_000)]), ...(t.body === undefined ? {} : { body: t.body, headers: { 'content-type': 'application/json' } }) });
    } catch (error: unknown) {
      if (signal.aborted) throw signal.reason;
      return fail(`no answer (${error instanceof Error ? error.message : String(error)})`);
    }
    const body = await res.text();
    if (res.status !== t.expectStatus) fail(`expected status ${t.expectStatus}, got ${res.status}`);
    if (t.expectBody !== undefined && !body.includes(t.expectBody)) fail(`body does not contain "${t.expectBody}"`);
    if (t.expectJson) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(body);
      } catch {
        fail('body is not JSON');
      }
      const actual = field(parsed, t.expectJson.field);
      if (actual !== t.expectJson.equals) fail(`JSON field ${t.expectJson.field} is ${JSON.stringify(actual)}, expected ${JSON.stringify(t.expectJson.equals)}`);
    }
    log(`smoke "${t.name}" ${t.method} ${url}: ${res.status} ok`);
  }
}
