import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { basePort } from '../support/deploy-fixture.js';
import { fixtureRepo, writeTree } from '../support/fixture-repo.js';
import { TempDirs, until } from '../support/temp.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

/**
 * What `gantry init` writes for a Node service deploys as it is: its install gate, the build that
 * installs and runs the build script, the folder as artifact and `start:prod` on $PORT. Only the
 * listener port is changed, so that parallel tests do not meet on 3000, and the repository url,
 * which the test server points at the fixture's origin.
 */
const SERVER = `import { createServer } from 'node:http';
createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ service: 'orders', built: true, path: req.url }));
}).listen(Number(process.env.PORT), '127.0.0.1');
`;

const SERVICE = {
  'services/orders/package.json': `${JSON.stringify({ name: 'orders', version: '1.0.0', private: true, scripts: { build: 'node build.mjs', start: 'node --watch src/main.mjs', 'start:prod': 'node dist/main.mjs' } }, null, 2)}\n`,
  'services/orders/package-lock.json': `${JSON.stringify({ name: 'orders', version: '1.0.0', lockfileVersion: 3, requires: true, packages: { '': { name: 'orders', version: '1.0.0' } } }, null, 2)}\n`,
  'services/orders/src/main.mjs': SERVER,
  // The build writes dist/, which start:prod runs: without the build the service cannot start.
  'services/orders/build.mjs': "import { cpSync } from 'node:fs';\ncpSync('src', 'dist', { recursive: true });\n",
};

describe('a gantry.yaml written by gantry init', () => {
  const temp = new TempDirs();
  const port = basePort();
  let t: TestServer | undefined;
  let config: string;

  beforeAll(async () => {
    const root = await temp.make('gantry-init-deploy-');
    await writeTree(join(root, 'project'), SERVICE);
    const init = await runCli(['init', join(root, 'project')]);
    expect(init.code).toBe(0);
    const written = await readFile(join(root, 'project', 'gantry.yaml'), 'utf8');
    expect(written).toMatch(/^ {6}port: 3000 /m);
    // The test server points `url: .` at the fixture's origin; the starter writes it quoted, with a comment.
    // Offsets within this file's block of 50 ports (basePort), so a file running beside it never meets them.
    config = written
      .replace(/^( {6}port: )3000 /m, `$1${port} `)
      .replace(/^ {2}url: "\."\s.*$/m, '  url: .')
      .replace(/^( {4}portOffset: )100\b/m, (_, key: string) => `${key}10`)
      .replace(/^( {4}portOffset: )200\b/m, (_, key: string) => `${key}20`);
    expect(config).toMatch(/portOffset: 10\b/);
    expect(config).toMatch(/portOffset: 20\b/);
    const repo = await fixtureRepo(root, { ...SERVICE, 'gantry.yaml': config });
    t = await startTestServer(root, repo, config);
  });
  afterAll(async () => {
    await t?.server.close({ stopAgents: true });
    await temp.cleanup();
  });

  it('installs, builds and deploys a Node service to dev, started by start:prod', async () => {
    expect(config).toMatch(/command: "npm run start:prod"/);
    if (!t) throw new Error('the server did not start');
    const dispatch = await runCli(['dispatch', 'dev'], { CI: 'true', GANTRY_SERVER: t.server.url, GANTRY_TOKEN: t.token });
    expect(dispatch.stdout).toMatch(/✓ orders › install\s+succeeded/);
    expect(dispatch.stdout).toMatch(/✓ build orders\s+succeeded/);
    // On a failure, the agent's own log says why (it is where the CLI's hint points).
    const agentLog = await readFile(join(t.dataDir, 'agents', 'local', 'agent.log'), 'utf8').catch(() => '(no agent log)');
    expect(dispatch.stdout, agentLog).toMatch(/✓ deploy orders → dev \(rolling\)\s+succeeded/);
    expect(dispatch.code, `${dispatch.stdout}\n${dispatch.stderr}`).toBe(0);
    const body = await until('the deployed service to answer on its dev port', async () => {
      const res = await fetch(`http://127.0.0.1:${port}/orders`);
      return res.ok ? ((await res.json()) as { service: string; built: boolean; path: string }) : undefined;
    });
    expect(body).toEqual({ service: 'orders', built: true, path: '/orders' });
  });
});
