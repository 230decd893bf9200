import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_AUTH_FAILURE_LIMIT } from '../../src/server/auth-throttle.js';
import { lintOnlyConfig } from '../support/ci-config.js';
import { fixtureRepo } from '../support/fixture-repo.js';
import { freePort } from '../support/free-port.js';
import { startHaproxyWith, type HaproxyProcess } from '../support/haproxy.js';
import { CLI, startServerProcess } from '../support/server-process.js';
import { TempDirs, until } from '../support/temp.js';

/**
 * Issue 16, item 1: the server configured from its environment alone (as a systemd unit or a
 * container sets it), and `--trust-proxy` so that behind a reverse proxy the failed-login throttle
 * and the audit log see each client's address. The proxy is a real HAProxy with `option forwardfor`;
 * the clients are two loopback addresses (127.0.0.2, 127.0.0.3), so HAProxy itself writes the
 * X-Forwarded-For it sends, as it does for clients on a network.
 */

interface Answer {
  readonly status: number;
  readonly body: string;
}

/** One GET from `localAddress`, so the proxy sees that client address. */
function get(url: string, localAddress: string, token?: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { localAddress, headers: { ...headers, ...(token ? { authorization: `Bearer ${token}` } : {}) } }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const stopProcess = async (child: ChildProcess): Promise<void> => {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
};

describe('gantry server configured by GANTRY_* variables', () => {
  const temp = new TempDirs();
  const started: ChildProcess[] = [];
  afterAll(async () => {
    await Promise.all(started.map(stopProcess));
    await temp.cleanup();
  });

  it('listens at GANTRY_HOST:GANTRY_PORT with GANTRY_CONFIG and GANTRY_DATA_DIR, started from an unrelated folder', async () => {
    expect(existsSync(CLI), 'run `npm run build` first').toBe(true);
    const root = await temp.make();
    const repo = await fixtureRepo(root, { 'gantry.yaml': lintOnlyConfig('configured-by-env'), 'api/x.js': 'export {};\n' });
    const elsewhere = await temp.make('gantry-elsewhere-');
    const dataDir = join(root, 'state');
    // 127.0.0.2 rather than the default 127.0.0.1, so that the variable, not the default, decides.
    const port = await freePort('127.0.0.2');
    const child = spawn(process.execPath, [CLI, 'server'], {
      cwd: elsewhere,
      env: { ...process.env, GANTRY_HOST: '127.0.0.2', GANTRY_PORT: String(port), GANTRY_CONFIG: join(repo.workDir, 'gantry.yaml'), GANTRY_DATA_DIR: dataDir, GANTRY_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    started.push(child);
    let output = '';
    child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
    await until(`the server to listen (output so far: ${output})`, () => output.includes('listening on'), 30_000);

    expect(output).toContain(`listening on http://127.0.0.2:${port} (data in ${dataDir}, SQLite store, project configured-by-env)`);
    expect((await get(`http://127.0.0.2:${port}/healthz`, '127.0.0.2')).status).toBe(200);
    await expect(get(`http://127.0.0.1:${port}/healthz`, '127.0.0.1')).rejects.toThrow(/ECONNREFUSED/);
    // Its state went to GANTRY_DATA_DIR, and nothing to the folder it was started from.
    const token = (await readFile(join(dataDir, 'admin.token'), 'utf8')).trim();
    expect(JSON.parse(await readFile(join(dataDir, 'server.json'), 'utf8'))).toMatchObject({ url: `http://127.0.0.2:${port}` });
    expect(readdirSync(elsewhere)).toEqual([]);
    const whoami = await get(`http://127.0.0.2:${port}/api/v1/whoami`, '127.0.0.2', token);
    expect(whoami.status).toBe(200);
    expect(JSON.parse(whoami.body)).toMatchObject({ user: 'admin', roles: ['admin'] });
  });
});

describe('gantry server behind HAProxy: the failed-login throttle and --trust-proxy', () => {
  const temp = new TempDirs();
  let server: ChildProcess | undefined;
  let proxy: HaproxyProcess | undefined;
  afterEach(async () => {
    await proxy?.stop();
    if (server) await stopProcess(server);
    proxy = undefined;
    server = undefined;
  });
  afterAll(() => temp.cleanup());

  /** A server (with `args`) and a HAProxy in front of it that adds X-Forwarded-For; returns the proxy's URL and an admin token. */
  async function serverBehindProxy(name: string, args: readonly string[]): Promise<{ url: string; token: string }> {
    const root = await temp.make();
    const repo = await fixtureRepo(root, { 'gantry.yaml': lintOnlyConfig(name), 'api/x.js': 'export {};\n' });
    const dataDir = join(root, 'data');
    const started = await startServerProcess(join(repo.workDir, 'gantry.yaml'), dataDir, args);
    server = started.child;
    const backend = new URL(started.url);
    // As docs/operations.md shows it: `option forwardfor` appends the client's address to X-Forwarded-For.
    proxy = await startHaproxyWith(temp, `  option forwardfor\n  default_backend gantry\nbackend gantry\n  server gantry ${backend.host}\n`, []);
    return { url: proxy.url, token: (await readFile(join(dataDir, 'admin.token'), 'utf8')).trim() };
  }

  /** The attacker, 127.0.0.2, sends one bad token more than the limit; the last answer is returned. */
  async function guessTokens(url: string): Promise<Answer> {
    let last: Answer = { status: 0, body: '' };
    for (let i = 0; i <= DEFAULT_AUTH_FAILURE_LIMIT; i++) last = await get(`${url}/api/v1/whoami`, '127.0.0.2', `gty_guess${i}`);
    return last;
  }

  it('without --trust-proxy, 20 bad tokens from one client lock out every client behind the proxy (the address is the proxy\'s)', async () => {
    const { url, token } = await serverBehindProxy('no-trust-proxy', []);
    expect((await get(`${url}/api/v1/whoami`, '127.0.0.3', token)).status).toBe(200);
    expect((await guessTokens(url)).status).toBe(429);
    const bystander = await get(`${url}/api/v1/whoami`, '127.0.0.3', token);
    expect(bystander.status).toBe(429);
    expect(JSON.parse(bystander.body)).toMatchObject({ code: 'TOO_MANY_FAILED_LOGINS' });
  });

  it('with --trust-proxy, only the guessing client is blocked, the audit log names its address, and a forged X-Forwarded-For does not free it', async () => {
    const { url, token } = await serverBehindProxy('trust-proxy', ['--trust-proxy']);
    const blocked = await guessTokens(url);
    expect(blocked.status).toBe(429);
    expect(JSON.parse(blocked.body)).toMatchObject({ code: 'TOO_MANY_FAILED_LOGINS' });
    // The attacker's good token is refused too, even when it claims to be someone else: HAProxy
    // appends the real address after the forged one, and one trusted hop reads only the last.
    expect((await get(`${url}/api/v1/whoami`, '127.0.0.2', token, { 'x-forwarded-for': '127.0.0.3' })).status).toBe(429);
    // Another client behind the same proxy still gets in.
    const other = await get(`${url}/api/v1/whoami`, '127.0.0.3', token);
    expect(other.status).toBe(200);
    expect(JSON.parse(other.body)).toMatchObject({ user: 'admin' });

    const audit = await get(`${url}/api/v1/audit`, '127.0.0.3', token);
    expect(audit.status).toBe(200);
    const events = (JSON.parse(audit.body) as { events: Array<{ kind: string; actor: string; data: Record<string, unknown> }> }).events.filter((e) => e.kind === 'auth.blocked');
    expect(events).toEqual([expect.objectContaining({ actor: 'gantry', data: { address: '127.0.0.2', seconds: 60 } })]);
  });
});
