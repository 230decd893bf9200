import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { TempDirs } from '../support/temp.js';

/**
 * `gantry --help` must not pay for the server, the agent or the config checker: each command loads
 * its code when it runs (src/cli/program.ts). This watches which modules the built CLI really loads,
 * through a module hook preloaded with --import, instead of timing it (bench/cli-startup.ts times it).
 */
const HOOKS = `import { appendFileSync } from 'node:fs';
export async function load(url, context, next) {
  appendFileSync(process.env.GANTRY_TEST_MODULE_TRACE, url + '\\n');
  return next(url, context);
}
`;

/** What the server, the agent and the config checker bring in; none of it belongs in `--help`. */
const HEAVY = [/node_modules\/fastify\//, /node_modules\/better-sqlite3\//, /node_modules\/kysely\//, /node_modules\/pino\//, /node_modules\/zod\//, /node_modules\/yaml\//, /\/dist\/server\/(?!version\.js)/, /\/dist\/config\/(?!duration\.js)/, /\/dist\/agent\//, /\/dist\/engine\//, /\/dist\/store\//, /\/dist\/steps\//];

describe('the CLI loads a command only when it runs', () => {
  const temp = new TempDirs();
  let dir: string;
  let count = 0;

  beforeAll(async () => {
    dir = await temp.make('gantry-lazy-');
    await writeFile(join(dir, 'hooks.mjs'), HOOKS);
    await writeFile(join(dir, 'register.mjs'), `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(join(dir, 'hooks.mjs')).href)});\n`);
  });
  afterAll(() => temp.cleanup());

  /** Runs the CLI and returns its exit code, output and every module URL it loaded. */
  async function traced(args: string[], cwd?: string): Promise<{ code: number; stdout: string; stderr: string; modules: string[] }> {
    const trace = join(dir, `trace-${count++}.txt`);
    await writeFile(trace, '');
    const cdArgs = cwd ? ['--config', join(cwd, 'gantry.yaml')] : [];
    const r = await runCli([...cdArgs, ...args], { NODE_OPTIONS: `--import ${pathToFileURL(join(dir, 'register.mjs')).href}`, GANTRY_TEST_MODULE_TRACE: trace });
    const modules = (await readFile(trace, 'utf8')).split('\n').filter(Boolean);
    return { code: r.code, stdout: r.stdout, stderr: r.stderr, modules };
  }

  const heavyIn = (modules: readonly string[]): string[] => modules.filter((m) => HEAVY.some((h) => h.test(m)));

  it('answers --help, a command help and --version without loading the server, the agent or the config checker', async () => {
    const help = await traced(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: gantry/);
    expect(help.stdout).toMatch(/server/);
    // The trace works: the CLI's own modules are in it.
    expect(help.modules.some((m) => m.endsWith('/dist/cli/program.js'))).toBe(true);
    expect(heavyIn(help.modules)).toEqual([]);

    const serverHelp = await traced(['server', '--help']);
    expect(serverHelp.code).toBe(0);
    expect(serverHelp.stdout).toMatch(/--port/);
    expect(heavyIn(serverHelp.modules)).toEqual([]);

    const version = await traced(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    expect(heavyIn(version.modules)).toEqual([]);
  });

  it('loads the config checker for validate, and still not the server or the agent', async () => {
    const project = await temp.make('gantry-lazy-project-');
    const config = ['version: 1', 'project:', '  name: lazy', 'repository:', '  url: .', 'services:', '  api:', '    path: .', 'environments:', '  dev:', '    branch: develop', ''].join('\n');
    await writeFile(join(project, 'gantry.yaml'), config);
    const r = await traced(['validate'], project);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/is valid/);
    // A valid file is read by the fast path (js-yaml); the yaml package, needed only to position
    // messages, is required on demand (src/config/yaml-lib.ts), which this ESM hook does not see.
    expect(r.modules.some((m) => /node_modules\/js-yaml\//.test(m))).toBe(true);
    expect(r.modules.some((m) => m.endsWith('/dist/config/loader.js'))).toBe(true);
    expect(r.modules.filter((m) => /node_modules\/(fastify|better-sqlite3|kysely)\/|\/dist\/(server|agent|engine|store)\//.test(m) && !m.endsWith('/dist/server/version.js'))).toEqual([]);
  });

  it('still positions what validate reports once the yaml package is loaded on demand', async () => {
    const project = await temp.make('gantry-lazy-broken-');
    // Valid to the schema and the rules (the fast path), but the service folder is missing: a finding to position.
    const config = ['version: 1', 'project:', '  name: lazy', 'repository:', '  url: .', 'services:', '  api:', '    path: services/api', ''].join('\n');
    await writeFile(join(project, 'gantry.yaml'), config);
    const missing = await traced(['validate'], project);
    expect(missing.code).toBe(1);
    expect(missing.stdout + missing.stderr).toMatch(/gantry\.yaml:8:11/);
    // A schema error: the full path from the start.
    await writeFile(join(project, 'gantry.yaml'), config.replace('path: services/api', 'path: .\n    replicas: many'));
    const broken = await traced(['validate'], project);
    expect(broken.code).toBe(1);
    expect(broken.stdout + broken.stderr).toMatch(/gantry\.yaml:9:15/);
  });
});
