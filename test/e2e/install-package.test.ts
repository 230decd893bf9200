import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { copyFile, mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TempDirs, until } from '../support/temp.js';

/**
 * Issue 16, item 1: the package installs and runs. `npm pack` of this tree (dist/ already built, so
 * --ignore-scripts skips prepack's rebuild), `npm install -g` of the tarball into a clean prefix,
 * then the installed `gantry` run by name with a PATH that holds the prefix and node, not this tree.
 * Then `npm link` from a clone, the README's way to get the CLI from a clone.
 *
 * better-sqlite3 is a native module: npm runs its install script, which looks for a prebuilt binary
 * and else compiles SQLite (several minutes on a busy machine; no prebuilt can be downloaded here).
 * The install is pointed at the binary this tree's own `npm ci` built for this same Node (prebuild-
 * install's documented `local-prebuilds` folder), so the test takes about a minute and a half; the
 * compile itself is what `npm ci` of the tree does on every run.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PKG = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
const run = promisify(execFile);

/** The environment without what `npm test` put there about this tree (npm_package_*, npm_config_* of the run). */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)));
  return { ...env, NO_COLOR: '1', ...extra };
}

/** PATH with the prefix's bin and node's folder first, and nothing of this tree. */
const pathWith = (bin: string): string => [bin, dirname(process.execPath), '/usr/local/bin', '/usr/bin', '/bin'].join(':');

const npm = (args: readonly string[], cwd: string, env: NodeJS.ProcessEnv) => run('npm', [...args], { cwd, env, maxBuffer: 64 * 1024 * 1024, timeout: 540_000 });

/** `gantry …` resolved through PATH, as a user types it. */
function gantry(bin: string, args: readonly string[], cwd: string) {
  return run('gantry', [...args], { cwd, env: cleanEnv({ PATH: pathWith(bin) }) }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code?: number; stdout?: string; stderr?: string }) => ({ code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' }),
  );
}

/** A fresh repository with one Node service, as a user would run `gantry init` in. */
async function nodeRepo(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'package.json'), `${JSON.stringify({ name: 'shop-api', version: '1.0.0', scripts: { test: 'node --test', start: 'node server.js' } }, null, 2)}\n`);
  await writeFile(join(dir, 'server.js'), "require('node:http').createServer((q, s) => s.end('ok')).listen(process.env.PORT);\n");
  await run('git', ['init', '--quiet', '--initial-branch', 'main'], { cwd: dir });
  await run('git', ['add', '-A'], { cwd: dir });
  await run('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '--quiet', '-m', 'initial'], { cwd: dir });
}

describe('the npm package', () => {
  const temp = new TempDirs();
  let root = '';
  let packed: { filename: string; files: Array<{ path: string; mode: number }> };
  let bin = '';
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    expect(existsSync(join(ROOT, 'dist/cli/main.js')), 'run `npm run build` first').toBe(true);
    root = await temp.make('gantry-install-');
    const out = await npm(['pack', '--ignore-scripts', '--json', '--pack-destination', root], ROOT, cleanEnv());
    packed = (JSON.parse(out.stdout) as Array<typeof packed>)[0] as typeof packed;

    // This tree's better-sqlite3 binary as a local prebuild for the same version, Node ABI and platform.
    const sqliteDir = join(ROOT, 'node_modules/better-sqlite3');
    const sqliteVersion = (JSON.parse(readFileSync(join(sqliteDir, 'package.json'), 'utf8')) as { version: string }).version;
    const prebuilds = join(root, 'prebuilds');
    await mkdir(prebuilds);
    const tarball = join(prebuilds, `better-sqlite3-v${sqliteVersion}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`);
    await run('tar', ['czf', tarball, '-C', sqliteDir, 'build/Release/better_sqlite3.node']);

    const prefix = join(root, 'prefix');
    await npm(['install', '-g', '--prefix', prefix, join(root, packed.filename), '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], root, cleanEnv({ npm_config_better_sqlite3_local_prebuilds: prebuilds }));
    bin = join(prefix, 'bin');
  }, 600_000);

  afterAll(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await Promise.all(children.map((c) => (c.exitCode === null && c.signalCode === null ? new Promise((r) => c.once('exit', r)) : undefined)));
    await temp.cleanup();
  });

  it('holds the built CLI, server, dashboard, schema and the demo example, and no sources or tests', () => {
    const paths = packed.files.map((f) => f.path);
    expect(packed.filename).toBe(`${PKG.name}-${PKG.version}.tgz`);
    expect(paths).toEqual(expect.arrayContaining(['package.json', 'README.md', 'dist/cli/main.js', 'dist/agent/worker/worker-main.js', 'dist/web/index.html', 'schema/gantry.schema.json', 'examples/volteryde/gantry.yaml']));
    expect(paths.filter((p) => /^(src|test|web|node_modules|bench|scripts)\//.test(p) || (p.endsWith('.ts') && !p.endsWith('.d.ts')))).toEqual([]);
  });

  it('installs gantry on PATH from the tarball, executable, outside this tree', async () => {
    const target = realpathSync(join(bin, 'gantry'));
    expect(target).toBe(join(root, 'prefix/lib/node_modules/gantry/dist/cli/main.js'));
    expect(statSync(target).mode & 0o111).not.toBe(0);
    const version = await gantry(bin, ['--version'], root);
    expect(version, version.stderr).toMatchObject({ code: 0 });
    expect(version.stdout.trim()).toBe(PKG.version);
  });

  it('runs gantry init and gantry validate from the installed copy in a fresh repository', async () => {
    const repo = join(root, 'shop-api');
    await nodeRepo(repo);
    const init = await gantry(bin, ['init'], repo);
    expect(init.code, `${init.stdout}${init.stderr}`).toBe(0);
    expect(init.stdout).toMatch(/wrote .*gantry\.yaml with 1 service/);
    expect(readFileSync(join(repo, 'gantry.yaml'), 'utf8')).toMatch(/^services:/m);
    const validate = await gantry(bin, ['validate'], repo);
    expect(validate.code, `${validate.stdout}${validate.stderr}`).toBe(0);
    expect(validate.stdout).toMatch(/gantry\.yaml is valid: 1 service/);
  });

  it('starts the installed server: SQLite (the native module) opens and the dashboard is served', async () => {
    const repo = join(root, 'shop-api');
    const child = spawn('gantry', ['server', '--port', '0', '--data-dir', join(root, 'server-data'), '--log-level', 'warn'], { cwd: repo, env: cleanEnv({ PATH: pathWith(bin) }), stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let output = '';
    child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
    const url = await until(`the installed server to listen (output: ${output})`, () => {
      if (child.exitCode !== null) throw new Error(`gantry server exited with ${child.exitCode}: ${output}`);
      return /listening on (http:\/\/\S+) .*SQLite store/.exec(output)?.[1];
    }, 60_000);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const page = await fetch(`${url}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>Gantry</title>');
    child.kill('SIGTERM');
    await until('the server to stop', () => child.exitCode !== null || child.signalCode !== null, 30_000);
  });

  it('npm link from a clone puts gantry on PATH', async () => {
    const clone = join(root, 'clone');
    await run('git', ['clone', '--quiet', '--depth', '1', `file://${ROOT}`, clone]);
    // Stand-ins for `npm ci && npm run build` in the clone: this tree's dependencies (hard links, so
    // nothing npm does in the clone reaches the tree) and its build.
    await run('cp', ['-al', join(ROOT, 'node_modules'), join(clone, 'node_modules')]);
    // npm rewrites its hidden lockfile in place: that one file is a copy of its own.
    const hiddenLock = join(clone, 'node_modules/.package-lock.json');
    await copyFile(hiddenLock, `${hiddenLock}.copy`);
    await rename(`${hiddenLock}.copy`, hiddenLock);
    await run('cp', ['-r', join(ROOT, 'dist'), join(clone, 'dist')]);
    const prefix = join(root, 'link-prefix');
    // npm_config_prefix, not --prefix: for `npm link` --prefix also names the project folder.
    await npm(['link', '--no-audit', '--no-fund', '--loglevel=error'], clone, cleanEnv({ npm_config_prefix: prefix }));
    expect(realpathSync(join(prefix, 'bin/gantry'))).toBe(join(realpathSync(clone), 'dist/cli/main.js'));
    const version = await gantry(join(prefix, 'bin'), ['--version'], root);
    expect(version, version.stderr).toMatchObject({ code: 0 });
    expect(version.stdout.trim()).toBe(PKG.version);
  });
});
