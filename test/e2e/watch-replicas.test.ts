import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LoadDriver } from '../../src/cli/demo/load-driver.js';
import type { RunView, StepView } from '../../src/server/views.js';
import { basePort } from '../support/deploy-fixture.js';
import { fixtureRepo } from '../support/fixture-repo.js';
import { TempDirs, until } from '../support/temp.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

/**
 * Issue 10, item 10, through a deployment: a replica whose readiness fails during the watch window
 * is taken out of the router's rotation (users keep getting answers from the other one) and the
 * watch step's figures count it. The replica listening on the port written to SICK_MARKER answers
 * 503 on /healthz; everything else it answers as usual.
 */
const SERVICE_JS = `import { createServer } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
const marker = process.env.SICK_MARKER;
const server = createServer((req, res) => {
  const sick = Boolean(marker && existsSync(marker) && readFileSync(marker, 'utf8').trim() === process.env.PORT);
  res.writeHead(req.url === '/healthz' && sick ? 503 : 200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ port: process.env.PORT, sick }));
});
server.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

function config(port: number, marker: string): string {
  return `version: 1
project:
  name: replicas
repository:
  url: .
  defaultBranch: main
services:
  api:
    path: api
    build:
      run: mkdir -p out && cp server.mjs out/
      output: out
    run:
      command: node server.mjs
      port: ${port}
    replicas: 2
    health:
      path: /healthz
      interval: 100ms
      deadline: 5s
      readiness: { failureThreshold: 2 }
      liveness: { failureThreshold: 0 }
    env:
      SICK_MARKER: ${marker}
environments:
  prod:
    branch: main
    strategy: rolling
    watch:
      duration: 4s
      maxErrorRate: 0.05
`;
}

describe('a watch over a revision one of whose replicas fails readiness', () => {
  const temp = new TempDirs();
  let t: TestServer | undefined;

  afterAll(async () => {
    await t?.server.close({ stopAgents: true });
    await temp.cleanup();
  });

  it('keeps serving from the ready replica and counts the one taken out of rotation in its figures', async () => {
    const root = await temp.make();
    // Readable by the revision, which may run as another user than the test (issue 10, item 6).
    const shared = await temp.make('gantry-sick-');
    await chmod(shared, 0o755);
    const marker = join(shared, 'sick');
    const port = basePort();
    const text = config(port, marker);
    t = await startTestServer(root, await fixtureRepo(root, { 'gantry.yaml': text, 'api/server.mjs': SERVICE_JS }), text);
    const server = t;
    const id = (await server.api<{ run: RunView }>('POST', '/api/v1/dispatch', { environment: 'prod' })).body.run.id;
    const load = new LoadDriver([`http://127.0.0.1:${port}/`], 2);
    load.start();
    try {
      const step = async (): Promise<StepView | undefined> => (await server.api<{ steps: StepView[] }>('GET', `/api/v1/runs/${id}`)).body.steps.find((s) => s.key === 'watch:prod');
      // The watch runs as passes with waits between them: it has begun once it is running or waiting for its next pass.
      await until('the watch window to start', async () => ['running', 'waiting'].includes((await step())?.state ?? ''), 90_000);
      const status = await server.api<{ services: Array<{ revisions: Array<{ revision: number; ports: number[] }> }> }>('GET', '/api/v1/environments/prod/status');
      const sickPort = status.body.services[0]?.revisions.find((r) => r.revision === 1)?.ports[0];
      expect(sickPort).toBeGreaterThan(0);
      await writeFile(marker, `${sickPort}\n`, { mode: 0o644 });
      const run = await server.finished(id, 90_000);
      expect(run.run.state, JSON.stringify(run.run.error)).toBe('succeeded');
      const watch = run.steps.find((s) => s.key === 'watch:prod');
      expect(watch?.summary).toMatchObject({ watch: { api: { outOfRotation: 1, restarts: 0, failed: 0 } } });
      expect((watch?.summary as { watch: { api: { requests: number } } }).watch.api.requests).toBeGreaterThan(0);
    } finally {
      await load.stop();
    }
    expect(load.failed).toBe(0);
  }, 200_000);
});
