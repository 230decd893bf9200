import type { ChildProcess } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureRepo } from '../support/fixture-repo.js';
import { startServerProcess, type ServerProcess } from '../support/server-process.js';
import { TempDirs, until } from '../support/temp.js';

const CONFIG = `version: 1
project:
  name: logged
repository:
  url: .
  defaultBranch: develop
services:
  api:
    path: api
    gates:
      - name: lint
        run: "true"
`;

interface LoggedServer extends ServerProcess {
  readonly token: string;
  /** Everything the server wrote to stderr since it listened. */
  stderr(): string;
  /** The JSON log lines so far. */
  lines(): Array<Record<string, unknown>>;
}

/** `gantry server --log-level <level>` as a process, stderr a pipe (not a terminal): JSON lines. */
async function loggedServer(temp: TempDirs, level: string): Promise<LoggedServer> {
  const root = await temp.make();
  const repo = await fixtureRepo(root, { 'gantry.yaml': CONFIG, 'api/a.js': '1\n' });
  const configPath = join(root, 'server.yaml');
  await writeFile(configPath, CONFIG.replace('url: .', `url: ${repo.originDir}`));
  const dataDir = join(root, 'data');
  const server = await startServerProcess(configPath, dataDir, ['--log-level', level]);
  let text = '';
  server.child.stderr?.on('data', (c: Buffer) => (text += c.toString()));
  const token = (await readFile(join(dataDir, 'admin.token'), 'utf8')).trim();
  const lines = () => text.split('\n').flatMap((line) => (line.startsWith('{') ? [JSON.parse(line) as Record<string, unknown>] : []));
  return { ...server, token, stderr: () => text, lines };
}

const accessLines = (s: LoggedServer) => s.lines().filter((l) => l.msg === 'request completed');

async function stop(child: ChildProcess | undefined, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill(signal);
  await exited;
}

describe('gantry server’s access log', () => {
  const temp = new TempDirs();
  let info: LoggedServer;
  let warn: LoggedServer;
  let debug: LoggedServer;

  beforeAll(async () => {
    [info, warn, debug] = await Promise.all([loggedServer(temp, 'info'), loggedServer(temp, 'warn'), loggedServer(temp, 'debug')]);
  }, 90_000);
  afterAll(async () => {
    await Promise.all([info, warn, debug].map((s) => stop(s?.child)));
    await temp.cleanup();
  });

  it('writes one JSON line per request with the caller’s request id, and never the token', async () => {
    await fetch(`${info.url}/healthz`, { headers: { 'x-request-id': 'probe-1' } });
    const res = await fetch(`${info.url}/api/v1/runs?limit=1&token=${info.token}`, { headers: { 'x-request-id': 'abc123', authorization: `Bearer ${info.token}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe('abc123');

    const line = await until('the access line of abc123', () => accessLines(info).find((l) => l.reqId === 'abc123'), 10_000);
    expect(line).toMatchObject({ level: 30, service: 'gantry', method: 'GET', url: '/api/v1/runs?limit=1&token=[redacted]', statusCode: 200, ip: '127.0.0.1' });
    expect(typeof line.responseTime).toBe('number');
    expect(line.responseTime).toBeGreaterThanOrEqual(0);
    // Health probes log at debug: the probe came first, and its line is not among the info ones.
    expect(accessLines(info).map((l) => l.reqId)).not.toContain('probe-1');
    expect(info.stderr()).not.toContain(info.token);
  });

  it('answers an error with a fresh id when the caller’s is not a plain token, and logs the same id', async () => {
    const res = await fetch(`${info.url}/api/v1/runs`, { headers: { 'x-request-id': 'not a token' } });
    expect(res.status).toBe(401);
    const id = res.headers.get('x-request-id') ?? '';
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    const line = await until('the access line of the refused request', () => accessLines(info).find((l) => l.reqId === id), 10_000);
    expect(line).toMatchObject({ method: 'GET', url: '/api/v1/runs', statusCode: 401 });
  });

  it('gives a hijacked event stream its request id, and logs it when the client leaves', async () => {
    const abort = new AbortController();
    const res = await fetch(`${info.url}/api/v1/stream`, { headers: { 'x-request-id': 'sse-1', authorization: `Bearer ${info.token}` }, signal: abort.signal });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(res.headers.get('x-request-id')).toBe('sse-1');
    abort.abort();
    const line = await until('the access line of the stream', () => accessLines(info).find((l) => l.reqId === 'sse-1'), 10_000);
    expect(line).toMatchObject({ method: 'GET', url: '/api/v1/stream', statusCode: 200, aborted: true });
  });

  it('logs health probes at --log-level debug', async () => {
    await fetch(`${debug.url}/healthz`, { headers: { 'x-request-id': 'probe-2' } });
    const line = await until('the probe’s debug line', () => accessLines(debug).find((l) => l.reqId === 'probe-2'), 10_000);
    expect(line).toMatchObject({ level: 20, url: '/healthz', statusCode: 200 });
  });

  it('prints no access line at --log-level warn', async () => {
    for (const path of ['/healthz', '/api/v1/runs', '/metrics']) await fetch(`${warn.url}${path}`, { headers: { 'x-request-id': 'quiet-1', authorization: `Bearer ${warn.token}` } });
    // Stopped, the server has written all it will: nothing of those requests.
    await stop(warn.child, 'SIGTERM');
    expect(accessLines(warn)).toEqual([]);
    expect(warn.stderr()).not.toContain('quiet-1');
  });
});
