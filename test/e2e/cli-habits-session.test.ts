import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, statSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/exit-codes.js';
import { GANTRY_VERSION_HEADER, VERSION } from '../../src/server/version.js';
import { expectDocumentedShape } from '../support/doc-shapes.js';
import { freePort } from '../support/free-port.js';
import { fixtureRepo } from '../support/fixture-repo.js';
import { CLI, startServerProcess, type ServerProcess } from '../support/server-process.js';
import { captureCliOutput } from '../support/sweep.js';
import { TempDirs, until } from '../support/temp.js';

/** The gate waits for a file the test writes: a run that stays running until the test has seen what it looks for. */
const ESC = String.fromCharCode(27);

/** `staging` deploys api (behind an approval the test never gives, so nothing is ever started); `dev` deploys nothing. */
const config = (port: number): string => `version: 1
project:
  name: habits
repository:
  url: .
  defaultBranch: develop
services:
  api:
    path: api
    gates:
      - name: wait
        run: sh wait.sh
    run:
      command: node server.js
      port: ${port}
environments:
  dev:
    branch: develop
    services: []
  staging:
    branch: staging
    approvals:
      required: 1
      approvers: [reviewer]
`;

interface Result {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Whatever the test process has in GANTRY_* stays out: each call says where the server and token come from. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of Object.keys(env)) if (key.startsWith('GANTRY_')) delete env[key];
  return env;
}

describe('CLI habits: discovery, login, version, doctor, the live view', () => {
  const temp = new TempDirs();
  let root: string;
  let checkout: string;
  let home: string;
  let elsewhere: string;
  let goFile: string;
  let server: ServerProcess;
  let adminToken: string;
  const children = new Set<ChildProcess>();

  /** The built CLI run from `cwd`, as a user at a shell there would; HOME and XDG_CONFIG_HOME point at the test's own folder. */
  const gantry = (args: readonly string[], cwd: string, env: Record<string, string> = {}, stdin = ''): Promise<Result> =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [CLI, ...args], { cwd, env: { ...cleanEnv(), NO_COLOR: '1', HOME: home, XDG_CONFIG_HOME: join(home, 'xdg'), ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
      children.add(child);
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.on('error', reject);
      child.on('close', (code) => {
        children.delete(child);
        captureCliOutput(args, stdout, stderr);
        resolve({ code: code ?? 1, stdout, stderr });
      });
      child.stdin.end(stdin);
    });

  beforeAll(async () => {
    root = await temp.make();
    home = await temp.make('gantry-home-');
    elsewhere = await temp.make('gantry-elsewhere-');
    // Gates run as `nobody` when the server runs as root: the go file's folder must be open to all.
    const signal = await temp.make('gantry-go-');
    chmodSync(signal, 0o755);
    goFile = join(signal, 'go');
    const CONFIG = config(await freePort());
    const repo = await fixtureRepo(root, {
      'gantry.yaml': CONFIG,
      'api/wait.sh': `while [ ! -f ${goFile} ]; do sleep 0.1; done\necho released\n`,
      'api/src/deep/keep.txt': 'a folder deep inside the repository\n',
    });
    checkout = repo.workDir;
    // The server reads the same file with the origin as its repository, and keeps its data folder at the checkout's root, as `gantry server` run there would.
    const serverConfig = join(root, 'server-gantry.yaml');
    await writeFile(serverConfig, CONFIG.replace('url: .', `url: ${repo.originDir}`));
    server = await startServerProcess(serverConfig, join(checkout, '.gantry'));
    adminToken = (await readFile(join(checkout, '.gantry', 'admin.token'), 'utf8')).trim();
  });

  afterAll(async () => {
    await writeFile(goFile, 'go\n').catch(() => undefined);
    for (const child of children) child.kill('SIGKILL');
    if (server && server.child.exitCode === null) {
      const gone = new Promise((resolve) => server.child.once('exit', resolve));
      server.child.kill('SIGTERM');
      await gone;
    }
    await temp.cleanup();
  });

  it('finds gantry.yaml and the server of the repository root from a subfolder', async () => {
    const deep = join(checkout, 'api', 'src', 'deep');
    const validate = await gantry(['validate'], deep);
    expect(validate.code, validate.stderr).toBe(0);
    expect(validate.stdout).toMatch(/\.\.\/\.\.\/\.\.\/gantry\.yaml is valid: 1 service/);
    // Reached through the root's .gantry/server.json, with its admin.token: no flag, no environment.
    const runs = await gantry(['runs', '-o', 'json'], deep);
    expect(runs.code, runs.stderr).toBe(0);
    expect(JSON.parse(runs.stdout)).toHaveProperty('runs');
    // Outside any repository nothing is found: the default config name is reported missing as before.
    const outside = await gantry(['validate'], elsewhere);
    expect(outside.code).toBe(1);
    expect(outside.stderr).toMatch(/gantry\.yaml/);
    // A given --config is taken as given, not looked for up the tree.
    const given = await gantry(['validate', '--config', 'gantry.yaml'], deep);
    expect(given.code).toBe(1);
  });

  it('saves a login with mode 0600, uses it from any folder, refuses a bad token, and logs out', async () => {
    const file = join(home, 'xdg', 'gantry', 'credentials.json');
    const bad = await gantry(['login', server.url, '--token', 'gantry_not-a-real-token'], elsewhere);
    expect(bad.code).toBe(EXIT.NOT_AUTHORISED);
    expect(bad.stderr).toMatch(/AUTH_INVALID.*refused the token.*nothing was saved/);
    expect(existsSync(file)).toBe(false);

    // The token from stdin, as `gantry login URL < token-file` gives it.
    const login = await gantry(['login', server.url], elsewhere, {}, `${adminToken}\n`);
    expect(login.code, login.stderr).toBe(0);
    expect(login.stdout).toMatch(/logged in to http:\/\/127\.0\.0\.1:\d+ as admin/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(home, 'xdg', 'gantry')).mode & 0o777).toBe(0o700);
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ server: server.url, token: adminToken, user: 'admin' });

    const runs = await gantry(['runs'], elsewhere);
    expect(runs.code, runs.stderr).toBe(0);
    const version = await gantry(['version'], elsewhere);
    expect(version.stdout).toContain(`at ${server.url} (the saved login)`);
    // Flags still win over the saved login.
    const flagged = await gantry(['runs', '--token', 'gantry_not-a-real-token'], elsewhere);
    expect(flagged.code).toBe(EXIT.NOT_AUTHORISED);
    expect(flagged.stderr).toMatch(/AUTH_INVALID/);

    const logout = await gantry(['logout'], elsewhere);
    expect(logout.code).toBe(0);
    expect(existsSync(file)).toBe(false);
    const after = await gantry(['runs', '--server', `http://127.0.0.1:${await freePort()}`], elsewhere);
    expect(after.code).toBe(EXIT.UNREACHABLE);
    expect(after.stderr).toMatch(/SERVER_UNREACHABLE/);
  });

  it('gantry version shows the client, the server and its address, and says when the server is unreachable', async () => {
    const env = { GANTRY_SERVER: server.url };
    const text = await gantry(['version'], elsewhere, env);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`client  ${VERSION} (node ${process.versions.node})`);
    expect(text.stdout).toContain(`server  ${VERSION} at ${server.url}`);
    const json = await gantry(['version', '-o', 'json'], elsewhere, env);
    expect(JSON.parse(json.stdout)).toEqual({ client: VERSION, node: process.versions.node, address: server.url, server: VERSION, error: null });
    await expectDocumentedShape(JSON.parse(json.stdout), 'version');

    const gone = { GANTRY_SERVER: `http://127.0.0.1:${await freePort()}` };
    const offline = await gantry(['version'], elsewhere, gone);
    expect(offline.code).toBe(0);
    expect(offline.stdout).toContain(`client  ${VERSION}`);
    expect(offline.stdout).toMatch(/unreachable \(ECONNREFUSED\)/);
    const offlineJson = await gantry(['version', '-o', 'json'], elsewhere, gone);
    expect(offlineJson.code).toBe(0);
    expect(JSON.parse(offlineJson.stdout)).toMatchObject({ client: VERSION, server: null, error: expect.stringMatching(/unreachable/) as unknown });
  });

  it('gantry doctor passes a healthy setup, flags a key file others can read with the chmod fix, and an unreachable server', async () => {
    const healthy = await gantry(['doctor'], join(checkout, 'api'));
    expect(healthy.code, healthy.stdout).toBe(0);
    expect(healthy.stdout).toMatch(/✓ node\s+\d+\.\d+\.\d+ \(supported: /);
    expect(healthy.stdout).toMatch(/✓ git\s+\d+\.\d+/);
    expect(healthy.stdout).toMatch(/✓ admin\.token\s+.*is 600/);
    expect(healthy.stdout).toMatch(/✓ master\.key\s+.*is 600/);
    expect(healthy.stdout).toMatch(/✓ data dir\s+.*is 700/);
    expect(healthy.stdout).toMatch(/✓ gantry\.yaml\s+.*is valid/);
    expect(healthy.stdout).toMatch(new RegExp(`✓ server\\s+${server.url} answers, version ${VERSION.replace(/\./g, '\\.')}`));
    expect(healthy.stdout).toMatch(/✓ token\s+admin \(admin\)/);
    expect(healthy.stdout).toMatch(new RegExp(`✓ port ${new URL(server.url).port}\\s+the server port: held by node \\(pid ${server.child.pid}\\), the Gantry server`));

    const tokenFile = join(checkout, '.gantry', 'admin.token');
    chmodSync(tokenFile, 0o644);
    try {
      const loose = await gantry(['doctor'], checkout);
      expect(loose.code).toBe(1);
      expect(loose.stdout).toContain(`✗ admin.token  ${tokenFile} is 644: others on this machine can read it`);
      expect(loose.stdout).toContain(`fix: chmod 600 ${tokenFile}`);
      const json = await gantry(['doctor', '-o', 'json'], checkout);
      expect(json.code).toBe(1);
      const report = JSON.parse(json.stdout) as { ok: boolean; checks: Array<{ name: string; status: string; fix: string | null }> };
      expect(report.ok).toBe(false);
      await expectDocumentedShape(report, 'doctor');
      expect(report.checks.find((c) => c.name === 'admin.token')).toEqual(expect.objectContaining({ status: 'fail', fix: `chmod 600 ${tokenFile}` }));
    } finally {
      chmodSync(tokenFile, 0o600);
    }

    const unreachable = await gantry(['doctor', '-o', 'json'], checkout, { GANTRY_SERVER: `http://127.0.0.1:${await freePort()}` });
    expect(unreachable.code).toBe(1);
    const report = JSON.parse(unreachable.stdout) as { checks: Array<{ name: string; status: string; detail: string; fix: string | null }> };
    const serverCheck = report.checks.find((c) => c.name === 'server');
    expect(serverCheck?.status).toBe('fail');
    expect(serverCheck?.detail).toMatch(/unreachable/);
    expect(serverCheck?.fix).toMatch(/gantry server/);
  });

  it('following a run on a terminal redraws the view in place with elapsed times; piped, it stays one line per change', async () => {
    expect(existsSync('/usr/bin/script'), 'script (util-linux) gives the CLI a terminal').toBe(true);
    const command = `'${process.execPath}' '${CLI}' dispatch dev`;
    const child = spawn('script', ['-qfec', command, '/dev/null'], { cwd: elsewhere, env: { ...cleanEnv(), HOME: home, XDG_CONFIG_HOME: join(home, 'xdg'), TERM: 'xterm', COLUMNS: '120', GANTRY_SERVER: server.url, GANTRY_TOKEN: adminToken }, stdio: ['pipe', 'pipe', 'pipe'] });
    children.add(child);
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? 1)));
    // The gate waits for the go file: the view must have counted a running step's time up to 2 s, redrawing each second.
    await until('the live view to count 2 s of the waiting gate', () => /running\s+[2-9]s/.test(output), 40_000).catch((error: unknown) => {
      throw new Error(`${String(error)}; the terminal showed: ${JSON.stringify(output.slice(-1500))}`);
    });
    await writeFile(goFile, 'go\n');
    expect(await exited).toBe(0);
    children.delete(child);
    // The redraw: cursor up over the last drawing, back to the line's start, erase down.
    expect(output).toMatch(new RegExp(`${ESC}\\[\\d+A\\r${ESC}\\[0J`));
    expect(output).toMatch(/run #\d+ .*running .*develop@[0-9a-f]{7} → dev/);
    expect(output).toMatch(/run #\d+ .*succeeded/);

    // Piped (no terminal): one line per change, no escape codes, as before.
    await mkdir(join(elsewhere, 'piped'), { recursive: true });
    const piped = await gantry(['dispatch', 'dev'], join(elsewhere, 'piped'), { GANTRY_SERVER: server.url, GANTRY_TOKEN: adminToken });
    expect(piped.code, piped.stderr).toBe(0);
    expect(piped.stdout).toMatch(/✓ api › wait/);
    expect(piped.stdout.includes(ESC)).toBe(false);
  });
  it('on a terminal, a run held by an approval says how many approvals it waits for and the command to give one', async () => {
    await writeFile(goFile, 'go\n');
    const command = `'${process.execPath}' '${CLI}' dispatch staging`;
    const child = spawn('script', ['-qfec', command, '/dev/null'], { cwd: elsewhere, env: { ...cleanEnv(), HOME: home, XDG_CONFIG_HOME: join(home, 'xdg'), TERM: 'xterm', COLUMNS: '160', NO_COLOR: '1', GANTRY_SERVER: server.url, GANTRY_TOKEN: adminToken }, stdio: ['pipe', 'pipe', 'pipe'] });
    children.add(child);
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? 1)));
    const line = await until('the live view to say who the run waits for', () => /waiting for 1 more approval of 1 for staging — gantry approve (\d+)/.exec(output) ?? undefined, 40_000).catch((error: unknown) => {
      throw new Error(`${String(error)}; the terminal showed: ${JSON.stringify(output.slice(-1500))}`);
    });
    expect(output, output.split('\n').filter((l) => l.includes('approval')).slice(-5).join('\n')).toMatch(/approval staging \(1\)\s+(waiting|running)\s+\d+s/);
    // Nobody here may approve (admin dispatched it; reviewer has no token): the run is cancelled instead, and the follow ends.
    const cancel = await gantry(['cancel', line[1] ?? ''], elsewhere, { GANTRY_SERVER: server.url, GANTRY_TOKEN: adminToken });
    expect(cancel.code, cancel.stderr).toBe(0);
    expect(await exited).toBe(1);
    children.delete(child);
    expect(output).toMatch(new RegExp(`run #${line[1] ?? ''} . cancelled`));
  });

  it('sends the saved token only to the server it was saved for', async () => {
    const seen: Array<string | undefined> = [];
    const other = createServer((request, response) => {
      seen.push(request.headers.authorization);
      response.writeHead(200, { 'content-type': 'application/json', [GANTRY_VERSION_HEADER]: VERSION });
      response.end(JSON.stringify({ runs: [] }));
    });
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    try {
      const login = await gantry(['login', server.url, '--token', adminToken], elsewhere);
      expect(login.code, login.stderr).toBe(0);
      const runs = await gantry(['runs', '--server', `http://127.0.0.1:${(other.address() as AddressInfo).port}`], elsewhere);
      expect(runs.code, runs.stderr).toBe(0);
      expect(seen).toEqual([undefined]);
    } finally {
      await new Promise((resolve) => other.close(resolve));
      await gantry(['logout'], elsewhere);
    }
  });
  it('on a terminal, gantry login asks for the token without echoing it', async () => {
    const command = `'${process.execPath}' '${CLI}' login ${server.url}`;
    const child = spawn('script', ['-qfec', command, '/dev/null'], { cwd: elsewhere, env: { ...cleanEnv(), HOME: home, XDG_CONFIG_HOME: join(home, 'xdg'), TERM: 'xterm', NO_COLOR: '1' }, stdio: ['pipe', 'pipe', 'pipe'] });
    children.add(child);
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? 1)));
    await until('the token prompt', () => output.includes(`token for ${server.url} (not shown): `), 20_000).catch((error: unknown) => {
      throw new Error(`${String(error)}; the terminal showed: ${JSON.stringify(output)}`);
    });
    child.stdin.write(`${adminToken}\r`);
    expect(await exited).toBe(0);
    children.delete(child);
    expect(output).toMatch(/logged in to http:\/\/127\.0\.0\.1:\d+ as admin/);
    expect(output.includes(adminToken)).toBe(false);
    expect(statSync(join(home, 'xdg', 'gantry', 'credentials.json')).mode & 0o777).toBe(0o600);
    expect((await gantry(['logout'], elsewhere)).code).toBe(0);
  });
});
