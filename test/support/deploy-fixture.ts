/** A tiny deployable service and a gantry.yaml around it, on ports chosen for this test file. */

export const SERVICE_JS = `import { createServer } from 'node:http';
import { readFileSync, existsSync } from 'node:fs';
const mode = existsSync('./mode') ? readFileSync('./mode', 'utf8').trim() : 'ok';
if (mode === 'crash') { console.error('boom: cannot start'); process.exit(3); }
let served = 0;
let probes = 0;
const server = createServer((req, res) => {
  if (req.url === '/healthz') {
    probes++;
    const healthy = mode !== 'unhealthy' && mode !== 'never-ready' && !(mode === 'degrades' && probes > 3);
    res.writeHead(healthy ? 200 : 503, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ status: healthy ? 'ok' : 'bad' }));
    return;
  }
  served++;
  if (mode === 'slow') { setTimeout(() => { res.writeHead(200, { 'content-type': 'application/json' }); res.end(JSON.stringify({ service: process.env.GANTRY_SERVICE, version: readFileSync('./version', 'utf8').trim(), mode })); }, 40); return; }
  // Passes its smoke test on the preview, then fails real traffic.
  if (mode === 'errors' && served > 2) { res.writeHead(500); res.end('broken'); return; }
  // Healthy to its probes, failing every real request from the first (a canary's analysis must catch it).
  if (mode === 'fails-requests') { res.writeHead(500); res.end('broken'); return; }
  if (mode === 'bad-json') { res.writeHead(200, { 'content-type': 'application/json' }); res.end(JSON.stringify({ service: 'who-knows' })); return; }
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ service: process.env.GANTRY_SERVICE, revision: process.env.GANTRY_REVISION, release: process.env.GANTRY_RELEASE, version: readFileSync('./version', 'utf8').trim(), mode }));
});
server.keepAliveTimeout = 65000;
server.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

/**
 * A block of 50 ports for one test file's environments: below Linux's ephemeral range (32768+, where
 * listen(0) and outgoing connections live), away from the example's ports (13000–28500), and split by
 * vitest worker so files running side by side never pick the same block.
 */
export function basePort(): number {
  const pool = Number(process.env.VITEST_POOL_ID ?? '0') % 3;
  // A file that starts several servers gets consecutive blocks: two random picks collided about
  // one time in six, and a second server's agent then found its ports taken.
  blocksTaken = blocksTaken === null ? Math.floor(Math.random() * 18) : blocksTaken + 1;
  const block = pool * 18 + (blocksTaken % 18);
  return 30_000 + block * 50;
}
let blocksTaken: number | null = null;

export interface FixtureOptions {
  readonly port: number;
  readonly watchMs?: number;
  readonly productionApprovals?: number;
  readonly smoke?: boolean;
}

export function deployConfig(o: FixtureOptions): string {
  return `version: 1
project:
  name: shop
repository:
  url: .
  defaultBranch: develop
services:
  api:
    path: api
    build:
      run: mkdir -p out && cp server.mjs version out/ && (cp mode out/ 2>/dev/null || true)
      output: out
    run:
      command: node server.mjs
      port: ${o.port}
    health:
      path: /healthz
      interval: 100ms
      deadline: 3s
${o.smoke === false ? '' : `    smoke:
      - name: answers with its service name
        path: /
        expectJson: { field: service, equals: api }
`}environments:
  dev:
    branch: develop
    strategy: rolling
    verify:
      - kind: health
      - kind: smoke
  staging:
    branch: staging
    portOffset: 10
    strategy: rolling
  production:
    branch: main
    portOffset: 20
    strategy:
      kind: blue-green
      scaleDownDelay: 200ms
      previewPortOffset: 5
    requires: staging
${o.productionApprovals ? `    approvals:
      required: ${o.productionApprovals}
    confirmation: DEPLOY TO PRODUCTION
` : ''}    verify:
      - kind: health
      - kind: smoke
${o.watchMs ? `    watch:
      duration: ${o.watchMs}ms
      maxErrorRate: 0.05
      onInconclusive: fail
` : ''}`;
}

export const serviceFiles = (version: string, mode = 'ok'): Record<string, string> => ({
  'api/server.mjs': SERVICE_JS,
  'api/version': `${version}\n`,
  ...(mode === 'ok' ? {} : { 'api/mode': `${mode}\n` }),
});

/** One blue-green environment with a watch window: where every kind of failure must end in a rollback. */
export function faultConfig(port: number, watchMs: number): string {
  return `version: 1
project:
  name: faults
repository:
  url: .
  defaultBranch: main
services:
  api:
    path: api
    build:
      run: mkdir -p out && cp server.mjs version out/ && (cp mode out/ 2>/dev/null || true)
      output: out
    run:
      command: node server.mjs
      port: ${port}
    health:
      path: /healthz
      interval: 100ms
      deadline: 2s
    smoke:
      - name: answers with its service name
        path: /
        expectJson: { field: service, equals: api }
environments:
  prod:
    branch: main
    strategy:
      kind: blue-green
      scaleDownDelay: 100ms
      previewPortOffset: 7
    verify:
      - kind: health
    watch:
      duration: ${watchMs}ms
      maxErrorRate: 0.05
      onInconclusive: fail
`;
}
