import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lintOnlyConfig } from '../support/ci-config.js';
import { runCli } from '../support/cli.js';
import { fixtureRepo, pushChange } from '../support/fixture-repo.js';
import { TempDirs } from '../support/temp.js';
import { startTestServer } from '../support/test-server.js';

/** The built CLI: run `npx tsc -p tsconfig.build.json` first (as `npm test` does). */

const STACK_LINE = /^\s+at .+:\d+:\d+\)?$/m;

interface Case {
  readonly name: string;
  /** Appended to a valid gantry.yaml: top-level keys, or more lines under environments.dev. */
  readonly more: string;
  /** The line holding this text is the one the error must name. */
  readonly at: string;
  readonly path: string;
  readonly says: RegExp;
  readonly hint: RegExp;
}

const CASES: readonly Case[] = [
  {
    name: 'a unix socket on a local target',
    more: '    target: box\ntargets:\n  box:\n    kind: local\n    socket: /run/gantry/agent.sock\n',
    at: 'socket: /run/gantry/agent.sock',
    path: 'targets.box.socket',
    says: /cannot listen on a unix socket yet/,
    hint: /Remove socket/,
  },
  {
    name: 'maxUnavailable of a rolling strategy on the local target',
    more: '    strategy:\n      kind: rolling\n      maxSurge: 1\n      maxUnavailable: 1\n',
    at: 'maxUnavailable: 1',
    path: 'environments.dev.strategy.maxUnavailable',
    says: /never takes replicas away from the previous revision/,
    hint: /Remove maxUnavailable/,
  },
  {
    name: "an integration check's timeout",
    more: '    verify:\n      - kind: health\n      - kind: integration\n        run: npm run test:integration\n        timeout: 10m\n',
    at: 'timeout: 10m',
    path: 'environments.dev.verify[1].timeout',
    says: /cannot have a timeout of its own yet/,
    hint: /Remove timeout/,
  },
];

describe('gantry validate refuses settings the runtime cannot honour yet', () => {
  const temp = new TempDirs();
  let root: string;
  beforeAll(async () => {
    root = await temp.make();
  });
  afterAll(() => temp.cleanup());

  it.each(CASES.map((c) => [c.name, c] as const))('refuses %s with exit 1, naming the key, its line and what to do, and changes nothing', async (_name, c) => {
    const dir = join(root, c.path.replace(/\W+/g, '-'));
    await mkdir(join(dir, 'api'), { recursive: true });
    const text = lintOnlyConfig('shop', c.more);
    const file = join(dir, 'gantry.yaml');
    await writeFile(file, text);
    const line = text.split('\n').findIndex((l) => l.includes(c.at)) + 1;
    expect(line).toBeGreaterThan(0);

    const result = await runCli(['validate', '--config', file]);
    const output = `${result.stdout}${result.stderr}`;
    expect(result.code, output).toBe(1);
    expect(output).toMatch(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:${line}:\\d+ error CONFIG_UNSUPPORTED ${c.path.replace(/[.[\]]/g, '\\$&')}: `));
    expect(output).toMatch(c.says);
    expect(output).toMatch(new RegExp(`hint: .*${c.hint.source}`));
    expect(output).toContain(`${line} | `);
    expect(output).not.toMatch(STACK_LINE);

    const json = await runCli(['validate', '--config', file, '--output', 'json']);
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout) as { valid: boolean; errors: Array<{ code: string; line: number; message: string }> };
    expect(report.valid).toBe(false);
    expect(report.errors.map((e) => [e.code, e.line])).toEqual([['CONFIG_UNSUPPORTED', line]]);

    // Validation only reads: the file is as written and nothing was added beside it.
    expect(await readFile(file, 'utf8')).toBe(text);
    expect((await readdir(dir)).sort()).toEqual(['api', 'gantry.yaml']);
  });

  it('accepts the same file once the setting is taken out', async () => {
    const dir = join(root, 'fixed');
    await mkdir(join(dir, 'api'), { recursive: true });
    const file = join(dir, 'gantry.yaml');
    await writeFile(file, lintOnlyConfig('shop', '    strategy:\n      kind: rolling\n      maxSurge: 1\n    verify:\n      - kind: integration\n        run: npm run test:integration\ntargets:\n  box:\n    kind: local\n    port: 17400\n'));
    const result = await runCli(['validate', '--config', file]);
    expect(result.code, `${result.stdout}${result.stderr}`).toBe(0);
  });
});

describe('the server refuses the same settings', () => {
  const temp = new TempDirs();
  afterAll(() => temp.cleanup());
  const [socket] = CASES;

  it('gantry server does not start on a gantry.yaml with one, naming the key and its line, and makes no data folder', async () => {
    const dir = await temp.make();
    await mkdir(join(dir, 'api'));
    const text = lintOnlyConfig('shop', socket?.more ?? '');
    const file = join(dir, 'gantry.yaml');
    await writeFile(file, text);
    const line = text.split('\n').findIndex((l) => l.includes(socket?.at ?? '?')) + 1;
    const result = await runCli(['server', '--config', file, '--data-dir', join(dir, 'data'), '--port', '0']);
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toContain(`${file}:${line}:`);
    expect(result.stderr).toMatch(/CONFIG_UNSUPPORTED targets\.box\.socket: a local target cannot listen on a unix socket yet/);
    expect(result.stderr).toMatch(/hint: Remove socket/);
    expect(result.stderr).not.toMatch(STACK_LINE);
    expect(existsSync(join(dir, 'data'))).toBe(false);
  });

  it("gantry config accept refuses a commit whose gantry.yaml uses one, naming the key and its line, and the server's rules stay as they were", async () => {
    const root = await temp.make();
    const config = lintOnlyConfig('shop');
    const repo = await fixtureRepo(root, { 'gantry.yaml': config, 'api/x.js': 'export {};\n' });
    const t = await startTestServer(root, repo, config);
    try {
      const text = lintOnlyConfig('shop', socket?.more ?? '');
      const sha = await pushChange(repo, 'develop', { 'gantry.yaml': text }, 'listen on a socket');
      const line = text.split('\n').findIndex((l) => l.includes(socket?.at ?? '?')) + 1;
      const env = { GANTRY_SERVER: t.server.url, GANTRY_TOKEN: t.token };
      const before = await runCli(['config', 'show', '--output', 'json'], env);
      const accept = await runCli(['config', 'accept', sha, '--reason', 'socket'], env);
      expect(accept.code, accept.stderr).toBe(1);
      const short = sha.slice(0, 7);
      expect(accept.stderr).toMatch(new RegExp(`^CONFIG_UNSUPPORTED: gantry\\.yaml at ${short} is not valid`));
      expect(accept.stderr).toContain(`gantry.yaml@${short}:${line}:`);
      expect(accept.stderr).toContain('CONFIG_UNSUPPORTED targets.box.socket: a local target cannot listen on a unix socket yet');
      expect(accept.stderr).not.toMatch(STACK_LINE);
      const after = await runCli(['config', 'show', '--output', 'json'], env);
      expect(JSON.parse(after.stdout)).toEqual(JSON.parse(before.stdout));
      const audit = await t.api<{ events: Array<{ kind: string }> }>('GET', '/api/v1/audit');
      expect(audit.body.events.filter((e) => e.kind.startsWith('config.guard-change'))).toEqual([]);
    } finally {
      await t.close();
    }
  });
});

describe('gantry validate on a kubernetes target (supported now: checked offline instead)', () => {
  const temp = new TempDirs();
  afterAll(() => temp.cleanup());
  const cluster = (creds: string): string => `    target: cluster\ntargets:\n  cluster:\n    kind: kubernetes\n    namespace: shop-dev\n${creds}`;

  it('refuses one without credentials with exit 1, at the target\'s line, with both ways as hint', async () => {
    const dir = await temp.make();
    await mkdir(join(dir, 'api'));
    const text = lintOnlyConfig('shop', cluster('    endpoint: https://{service}.{namespace}.example.com\n'));
    const file = join(dir, 'gantry.yaml');
    await writeFile(file, text);
    const result = await runCli(['validate', '--config', file, '--output', 'json']);
    expect(result.code, result.stderr).toBe(1);
    const report = JSON.parse(result.stdout) as { errors: Array<{ code: string; line: number; message: string; hint: string }> };
    const lineOf = (needle: string): number => text.split('\n').findIndex((l) => l.includes(needle)) + 1;
    expect(report.errors.map((e) => [e.code, e.line])).toEqual([
      ['CONFIG_MISSING_KEY', lineOf('  cluster:')],
      ['CONFIG_INVALID_VALUE', lineOf('endpoint:')],
    ]);
    expect(report.errors[0]?.message).toMatch(/targets\.cluster has no credentials for its cluster/);
    expect(report.errors[0]?.hint).toMatch(/kubeconfigSecret/);
    expect(report.errors[1]?.message).toMatch(/\{namespace\}, which the target cannot fill/);
    const human = await runCli(['validate', '--config', file]);
    expect(`${human.stdout}${human.stderr}`).not.toMatch(STACK_LINE);
  });

  it('accepts one with a kubeconfig secret, a service type and an endpoint template', async () => {
    const dir = await temp.make();
    await mkdir(join(dir, 'api'));
    const file = join(dir, 'gantry.yaml');
    await writeFile(file, lintOnlyConfig('shop', cluster('    kubeconfigSecret: KUBECONFIG_DEV\n    serviceType: LoadBalancer\n    endpoint: https://{service}-{route}.{environment}.example.com\n')));
    const result = await runCli(['validate', '--config', file]);
    expect(result.code, `${result.stdout}${result.stderr}`).toBe(0);
  });
});
