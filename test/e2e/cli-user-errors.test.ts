import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lintOnlyConfig } from '../support/ci-config.js';
import { runCli, type CliResult } from '../support/cli.js';
import { fixtureRepo } from '../support/fixture-repo.js';
import { CLI } from '../support/server-process.js';
import { TempDirs } from '../support/temp.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

const CONFIG = lintOnlyConfig('user-errors');
/** A line of a Node stack trace: `    at fn (file.js:12:5)`. */
const STACK_LINE = /^\s+at .+:\d+:\d+\)?$/m;

/** A user's mistake: the expected exit code, words that say what is wrong, and nothing that looks like a crash. */
function expectUserError(result: CliResult, exitCode: 1 | 2 | 4, says: RegExp): void {
  const output = `${result.stdout}${result.stderr}`;
  expect(output).toMatch(says);
  expect(output).not.toMatch(STACK_LINE);
  expect(output).not.toMatch(/INTERNAL|This is a bug in Gantry/);
  expect(result.code, output).toBe(exitCode);
}

/** An HTTP server that is not Gantry: a web page, or another JSON API, at every path. */
async function foreignServer(kind: 'html' | 'json'): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer((_request, response) => {
    if (kind === 'html') response.writeHead(200, { 'content-type': 'text/html' }).end('<!DOCTYPE html><title>welcome</title>');
    else response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('CLI user errors get a clear message and exit code, never a stack trace', () => {
  const temp = new TempDirs();
  let t: TestServer;
  let env: Record<string, string>;
  let root: string;

  beforeAll(async () => {
    root = await temp.make();
    const repo = await fixtureRepo(root, { 'gantry.yaml': CONFIG, 'api/x.js': 'export {};\n' });
    t = await startTestServer(root, repo, CONFIG);
    env = { GANTRY_SERVER: t.server.url, GANTRY_TOKEN: t.token };
    // A run, so that `gantry runs` has something to print.
    await t.api('POST', '/api/v1/dispatch', { environment: 'dev' });
  });
  afterAll(async () => {
    await t.close();
    await temp.cleanup();
  });

  it('ends quietly with exit 0 when the reader of its output goes away (gantry runs | head)', async () => {
    for (const args of [['runs'], ['runs', '--output', 'json']]) {
      const result = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
        const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
        // The reader closes the pipe before the CLI has written anything, as `head` does once it has its line.
        child.stdout.destroy();
        let stderr = '';
        child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
        child.on('error', reject);
        child.on('close', (code) => resolve({ code, stderr }));
      });
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
    }
  });

  it('refuses init of a folder that does not exist', async () => {
    expectUserError(await runCli(['init', join(root, 'nonexistent')]), 2, /nonexistent does not exist/);
  });

  it('refuses a server port out of range or not a number, before it makes a data folder or a token', async () => {
    for (const port of ['70000', 'abc', '-1']) {
      const dataDir = join(root, `data-${port}`);
      const result = await runCli(['server', '--port', port, '--data-dir', dataDir, '--config', join(root, 'work', 'gantry.yaml')]);
      expectUserError(result, 2, /--port <port>' argument '.*' is invalid\. It must be a port from 0 to 65535/);
      expect(result.stdout).not.toMatch(/admin token/);
      expect(existsSync(dataDir)).toBe(false);
    }
  });

  it('refuses a --trust-proxy (or GANTRY_TRUST_PROXY) that is neither a hop count nor addresses, and a --log-level it does not know, before it makes anything', async () => {
    const config = join(root, 'work', 'gantry.yaml');
    const dataDir = join(root, 'data-proxy');
    const flag = await runCli(['server', '--port', '0', '--trust-proxy', 'nginx', '--data-dir', dataDir, '--config', config]);
    expectUserError(flag, 2, /--trust-proxy "nginx" is not a number of hops nor a list of addresses/);
    const variable = await runCli(['server', '--port', '0', '--data-dir', dataDir, '--config', config], { GANTRY_TRUST_PROXY: 'proxy.internal' });
    expectUserError(variable, 2, /--trust-proxy "proxy\.internal" is not a number of hops/);
    const level = await runCli(['server', '--port', '0', '--log-level', 'loud', '--data-dir', dataDir, '--config', config]);
    expectUserError(level, 2, /--log-level <level>' argument 'loud' is invalid/);
    expect(existsSync(dataDir)).toBe(false);
  });

  it('refuses a server port in use, before it makes a data folder or a token', async () => {
    const dataDir = join(root, 'data-in-use');
    const port = new URL(t.server.url).port;
    const result = await runCli(['server', '--port', port, '--data-dir', dataDir, '--config', join(root, 'work', 'gantry.yaml')]);
    expectUserError(result, 1, new RegExp(`LISTEN_FAILED: 127\\.0\\.0\\.1:${port} is already in use`));
    expect(result.stdout).not.toMatch(/admin token/);
    expect(existsSync(dataDir)).toBe(false);
  });

  it('names the work folder and how to choose another when it cannot be made, never as a bug', async () => {
    const file = join(root, 'work-is-a-file');
    await writeFile(file, 'x\n');
    const result = await runCli(['server', '--port', '0', '--data-dir', join(root, 'data-work'), '--config', join(root, 'work', 'gantry.yaml'), '--work-dir', join(file, 'inside')]);
    expectUserError(result, 1, /WORK_DIR_UNUSABLE: the work folder .*work-is-a-file\/inside cannot be made \(ENOTDIR\)/);
    expect(`${result.stdout}${result.stderr}`).toMatch(/--work-dir/);
  });

  it('refuses a data folder that is a file, or inside one, before it makes anything', async () => {
    const file = join(root, 'not-a-folder');
    await writeFile(file, 'x\n');
    const config = join(root, 'work', 'gantry.yaml');
    const asFile = await runCli(['server', '--port', '0', '--data-dir', file, '--config', config]);
    expectUserError(asFile, 2, /--data-dir .*not-a-folder is a file, not a folder/);
    const inside = await runCli(['server', '--port', '0', '--data-dir', join(file, 'data'), '--config', config]);
    expectUserError(inside, 2, /--data-dir .*not-a-folder\/data is inside .*not-a-folder, which is a file/);
    expect(`${asFile.stdout}${inside.stdout}`).not.toMatch(/admin token/);
  });

  it('says when --server points at something that is not Gantry', async () => {
    for (const kind of ['html', 'json'] as const) {
      const foreign = await foreignServer(kind);
      try {
        const result = await runCli(['runs', '--server', foreign.url], { GANTRY_TOKEN: t.token });
        expectUserError(result, 4, new RegExp(`SERVER_NOT_GANTRY: ${foreign.url.replace(/\./g, '\\.')} is not a Gantry server: it answered HTTP 200`));
      } finally {
        await foreign.close();
      }
    }
    expectUserError(await runCli(['runs', '--server', 'gantry.local'], { GANTRY_TOKEN: t.token }), 2, /"gantry\.local" \(--server or GANTRY_SERVER\) is not an http\(s\) URL/);
  });

  it('refuses numbers that are not numbers, naming the flag', async () => {
    expectUserError(await runCli(['rollback', 'dev', '--to-revision', 'abc'], env), 2, /--to-revision <n>' argument 'abc' is invalid/);
    expectUserError(await runCli(['runs', '--limit', 'abc'], env), 2, /--limit <n>' argument 'abc' is invalid\. It must be a whole number from 1 to 500/);
    expectUserError(await runCli(['token', 'revoke', 'abc'], env), 2, /"abc" is not a token id/);
  });

  it('refuses a role for an environment gantry.yaml does not declare, and makes no token', async () => {
    const result = await runCli(['token', 'create', '--user', 'mallory', '--role', 'deployer:nosuchenv'], env);
    expectUserError(result, 1, /UNKNOWN_ENVIRONMENT: the role "deployer:nosuchenv" names the environment "nosuchenv"[\s\S]*Declared environments: dev/);
    const { body } = await t.api<{ tokens: Array<{ user: string }> }>('GET', '/api/v1/tokens');
    expect(body.tokens.map((k) => k.user)).not.toContain('mallory');
  });

  it('says that a token holds a line break instead of calling the server unreachable', async () => {
    const result = await runCli(['runs'], { GANTRY_SERVER: t.server.url, GANTRY_TOKEN: `${t.token}\n` });
    expectUserError(result, 2, /the API token \(--token or GANTRY_TOKEN\) contains a line break/);
    expect(result.stderr).not.toContain(t.token);
  });

  it('names a data folder whose server.json is not what a server writes', async () => {
    const dataDir = await temp.make();
    await writeFile(join(dataDir, 'server.json'), 'not json');
    expectUserError(await runCli(['runs', '--data-dir', dataDir], { GANTRY_TOKEN: t.token }), 2, /server\.json is not a server address file/);
  });
});
