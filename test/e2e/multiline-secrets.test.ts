import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MASK } from '../../src/secrets/redactor.js';
import { cliEntry } from '../../src/targets/local/agent-launcher.js';
import { runCli } from '../support/cli.js';
import { basePort } from '../support/deploy-fixture.js';
import { fixtureRepo, pushChange } from '../support/fixture-repo.js';
import { registerSecret } from '../support/sweep.js';
import { filesUnder, findSecrets } from '../support/sweep-search.js';
import { TempDirs, until } from '../support/temp.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

/**
 * Invariant 6 for a multi-line secret (issue 10, item 7): a PEM-like key, set with `gantry secrets
 * set` from stdin, printed one line at a time, indented and with CRLF line endings, by a gate and by
 * a deployed service, leaves none of its lines in plain text in the store (the database and its
 * WAL), the agent's logs, `gantry logs` or the API. Needs `npm run build` (a real agent process).
 */

/** Random body lines: each one is itself registered with the sweep, not only the whole key. */
const BODY = Array.from({ length: 4 }, () => registerSecret(randomBytes(48).toString('base64')));
const KEY = registerSecret(['-----BEGIN GANTRY TEST KEY-----', ...BODY, '-----END GANTRY TEST KEY-----'].join('\n'));

/** Prints TLS_KEY line by line three ways, on stdout and stderr, at start and on every request. */
const SERVICE = `import { createServer } from 'node:http';
const lines = (process.env.TLS_KEY ?? '').split('\\n');
function print() {
  for (const l of lines) process.stdout.write(l + '\\n');
  for (const l of lines) process.stderr.write('    ' + l + '\\n');
  for (const l of lines) process.stdout.write('\\t' + l + '\\r\\n');
}
print();
console.log('printed at start');
const server = createServer((req, res) => {
  if (req.url === '/healthz') { res.end('ok'); return; }
  print();
  console.log('printed on request');
  res.end('ok');
});
server.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

/** The same from a gate's shell. */
const GATE = `printf '%s\\n' "$TLS_KEY"
printf '%s\\n' "$TLS_KEY" | sed 's/^/    /' >&2
printf '%s\\n' "$TLS_KEY" | sed 's/$/\\r/'
echo gate printed
`;

const config = (port: number): string => `version: 1
project:
  name: pem
repository:
  url: .
  defaultBranch: develop
services:
  api:
    path: api
    gates:
      - { name: print, run: sh print.sh }
    build:
      run: mkdir -p out && cp server.mjs out/
      output: out
    run:
      command: node server.mjs
      port: ${port}
    health:
      path: /healthz
      interval: 100ms
      deadline: 5s
    secrets: [TLS_KEY]
environments:
  dev:
    branch: develop
    strategy: rolling
    secrets: [TLS_KEY]
    verify:
      - kind: health
`;

describe('a multi-line secret printed line by line', () => {
  const temp = new TempDirs();
  const port = basePort();
  let root = '';
  let t: TestServer;
  let runId = 0;
  let env: Record<string, string> = {};

  beforeAll(async () => {
    if (!existsSync(cliEntry())) throw new Error(`${cliEntry()} is missing: run \`npm run build\` before this test file`);
    root = await temp.make();
    const repo = await fixtureRepo(root, { 'gantry.yaml': config(port), 'api/server.mjs': SERVICE, 'api/print.sh': GATE });
    t = await startTestServer(root, repo, config(port));
    env = { GANTRY_SERVER: t.server.url, GANTRY_TOKEN: t.token };
    const set = await runCli(['secrets', 'set', 'dev', 'TLS_KEY'], env, `${KEY}\n`);
    expect(set.code, set.stderr).toBe(0);
    expect(t.server.secrets.values(['TLS_KEY'], 'dev')).toEqual({ TLS_KEY: KEY });
    await pushChange(repo, 'develop', { 'api/version': 'v2\n' }, 'v2', 'develop');
    runId = (await t.runFor('develop')).id;
    const run = await t.finished(runId, 120_000);
    expect(run.run.state, JSON.stringify(run.run.error)).toBe('succeeded');
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('ok');
  }, 180_000);

  afterAll(async () => {
    await t.server.close({ stopAgents: true });
    await temp.cleanup();
  });

  const agentLogs = async (): Promise<string[]> => (await filesUnder(join(t.dataDir, 'agents', 'local', 'logs'))).filter((f) => /\.log(\.1)?$/.test(f));

  it('masks every line in the gate log that `gantry logs` prints and the API serves', async () => {
    const logs = await runCli(['logs', String(runId), 'gate:api:print'], env);
    expect(logs.code, logs.stderr).toBe(0);
    expect(logs.stdout).toContain('gate printed');
    // Printed plain and with CRLF, the lines together are the whole key (one mask each); indented, each line is masked.
    expect(logs.stdout.split(`] ${MASK}\n`).length - 1).toBe(2);
    expect(logs.stdout.split(`]     ${MASK}\n`).length - 1).toBe(6);
    const api = await t.api<unknown>('GET', `/api/v1/runs/${runId}/logs`);
    const run = await t.api<unknown>('GET', `/api/v1/runs/${runId}`);
    for (const text of [logs.stdout, logs.stderr, JSON.stringify(api.body), JSON.stringify(run.body)]) {
      for (const line of BODY) expect(text).not.toContain(line);
      expect(text).not.toContain('BEGIN GANTRY TEST KEY');
    }
  });

  it("masks every line in the revision's log file and in the lines the agent serves", async () => {
    const target = await t.server.localTargets.get('local');
    const revision = (await target.describe('dev')).find((s) => s.service === 'api')?.revisions[0]?.revision ?? 0;
    const served = await until('the request printing in the revision log', async () => {
      const lines = await target.logs('dev', 'api', revision, 500);
      return lines.includes('printed on request') ? lines : undefined;
    }, 10_000);
    // Printed at start and on one request: the whole key once each, and every indented line on its own.
    expect(served.filter((l) => l === MASK)).toHaveLength(2);
    expect(served.filter((l) => l === `    ${MASK}`)).toHaveLength(12);
    expect(served.filter((l) => l === `\t${MASK}\r` || l === `\t${MASK}`)).toHaveLength(12);
    for (const line of BODY) expect(served.join('\n')).not.toContain(line);
    expect((await agentLogs()).length).toBeGreaterThan(0);
  });

  it('leaves no line in any file: database, WAL, agent logs and state, repositories', async () => {
    const files = await filesUnder(root);
    expect(files.some((f) => f.endsWith('gantry.db-wal'))).toBe(true);
    expect(files.length).toBeGreaterThan(20);
    expect((await findSecrets(files, [...BODY, KEY])).hits).toEqual([]);
    await t.server.close({ stopAgents: true });
    expect((await findSecrets(await filesUnder(root), [...BODY, KEY])).hits).toEqual([]);
  });
});
