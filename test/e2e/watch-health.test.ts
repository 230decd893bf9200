import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunView, StepView } from '../../src/server/views.js';
import { basePort, serviceFiles } from '../support/deploy-fixture.js';
import { fixtureRepo } from '../support/fixture-repo.js';
import { TempDirs, until } from '../support/temp.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

/**
 * A worker users never call: it serves only its health. Once the file named by SICK_MARKER holds
 * its revision number it answers 503 there, as a worker that lost its queue would (the revision
 * rolled back to stays healthy).
 */
const WORKER_JS = `import { createServer } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
const marker = process.env.SICK_MARKER;
const server = createServer((req, res) => {
  const sick = Boolean(marker && existsSync(marker) && readFileSync(marker, 'utf8').trim() === process.env.GANTRY_REVISION);
  res.writeHead(req.url === '/healthz' && sick ? 503 : 200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ service: 'worker', sick: Boolean(sick) }));
});
server.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

/** prod deploys `services` (api and/or worker); the worker is watched by its health, api by its traffic. */
function config(port: number, services: readonly string[], watchMs: number, marker: string): string {
  return `version: 1
project:
  name: workers
repository:
  url: .
  defaultBranch: main
services:
  api:
    path: api
    build:
      run: mkdir -p out && cp server.mjs version out/
      output: out
    run:
      command: node server.mjs
      port: ${port}
    health: { path: /healthz, interval: 100ms, deadline: 3s }
  worker:
    path: worker
    build:
      run: mkdir -p out && cp worker.mjs out/
      output: out
    run:
      command: node worker.mjs
      port: ${port + 1}
    health: { path: /healthz, interval: 100ms, deadline: 3s }
    env:
      SICK_MARKER: ${marker}
environments:
  prod:
    branch: main
    strategy: rolling
    services: [${services.join(', ')}]
    verify:
      - kind: health
    watch:
      duration: ${watchMs}ms
      maxErrorRate: 0.05
      onInconclusive: fail
      services:
        worker: { basis: health }
`;
}

describe('a watch over a service users never call (watch.services.<name>.basis: health)', () => {
  const temp = new TempDirs();
  const servers: TestServer[] = [];
  const files = { ...serviceFiles('v1'), 'worker/worker.mjs': WORKER_JS };

  async function server(services: readonly string[], watchMs: number): Promise<{ t: TestServer; marker: string }> {
    const root = await temp.make();
    // Readable by the worker, which runs as another user than the test when the suite runs as root (issue 10, item 6).
    const shared = await temp.make('gantry-sick-');
    await chmod(shared, 0o755);
    const marker = join(shared, 'sick');
    const text = config(basePort(), services, watchMs, marker);
    const t = await startTestServer(root, await fixtureRepo(root, { 'gantry.yaml': text, ...files }), text);
    servers.push(t);
    return { t, marker };
  }

  const dispatch = async (t: TestServer): Promise<number> => (await t.api<{ run: RunView }>('POST', '/api/v1/dispatch', { environment: 'prod' })).body.run.id;
  const watchStep = (steps: readonly StepView[]): StepView | undefined => steps.find((s) => s.key === 'watch:prod');

  afterAll(async () => {
    for (const t of servers) await t.server.close({ stopAgents: true });
    await temp.cleanup();
  });

  it('passes a worker that got no traffic but stayed ready with no restart through the window', async () => {
    const { t } = await server(['worker'], 1_500);
    const run = await t.finished(await dispatch(t), 90_000);
    expect(run.run.state, JSON.stringify(run.run.error)).toBe('succeeded');
    const watch = watchStep(run.steps);
    expect(watch?.message).toBe('thresholds held; worker stayed ready with no restart');
    expect(watch?.summary).toMatchObject({ watch: { worker: { requests: 0 } }, health: { worker: { basis: 'health', phase: 'ready', restarts: 0, observations: expect.any(Number) } } });
    expect((watch?.summary as { health: { worker: { observations: number } } }).health.worker.observations).toBeGreaterThanOrEqual(2);
  }, 120_000);

  it('fails and rolls back a worker that turns unhealthy during the window', async () => {
    const { t, marker } = await server(['worker'], 1_500);
    expect((await t.finished(await dispatch(t), 90_000)).run.state).toBe('succeeded');
    const id = await dispatch(t);
    // The watch runs as passes with waits between them: it has begun once it is running or waiting for its next pass.
    await until('the watch window to start', async () => ['running', 'waiting'].includes(watchStep((await t.api<{ steps: StepView[] }>('GET', `/api/v1/runs/${id}`)).body.steps)?.state ?? ''), 90_000);
    await writeFile(marker, '2\n');
    const run = await t.finished(id, 90_000);
    expect(run.run.state).toBe('failed');
    expect(run.run.error).toMatchObject({ code: 'WATCH_FAILED' });
    expect(run.run.error?.message).toMatch(/^watch prod: worker r2 (was unhealthy|restarted)/);
    expect(run.steps.find((s) => s.key === 'rollback:prod')?.state).toBe('succeeded');
  }, 200_000);

  it('still holds a traffic-watched service of the same environment to its traffic', async () => {
    const { t } = await server(['api', 'worker'], 800);
    const run = await t.finished(await dispatch(t), 90_000);
    expect(run.run.state).toBe('failed');
    expect(run.run.error, JSON.stringify(run.run.error)).toMatchObject({ code: 'WATCH_INCONCLUSIVE' });
    // Only api is named: the worker's silence is expected.
    expect(run.run.error?.message).toBe('watch prod: inconclusive: no traffic reached api during the watch window');
  }, 120_000);
});
