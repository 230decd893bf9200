/**
 * CLI start-up: the built `gantry` run as a process, as a user runs it — `--help`, `--version` and
 * `validate` of a generated 200-service gantry.yaml — with `node -e ''` as the peer in the same run
 * (the floor: starting Node itself). Rounds are interleaved so a burst of other work on the machine
 * lands on every command alike. Needs the build: `npx tsc -p tsconfig.build.json` first.
 * Reproduce with: npm run bench:cli   (knobs: BENCH_CLI_ROUNDS, BENCH_CLI_SERVICES)
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const ROUNDS = Number(process.env.BENCH_CLI_ROUNDS ?? 30);
const SERVICES = Number(process.env.BENCH_CLI_SERVICES ?? 200);
const CLI = resolve(process.env.BENCH_CLI_MAIN ?? 'dist/cli/main.js');
/** The aim of issue 10, item 19: `--help` plus `validate` of 200 services, medians summed. */
const AIM_MS = 300;

/** A config a large monorepo could have: every service with gates, build, run, health and smoke. */
function bigConfig(services: number): string {
  const lines = ['version: 1', 'project:', '  name: big', 'repository:', '  url: .', '  defaultBranch: main', 'services:'];
  for (let i = 0; i < services; i++) {
    lines.push(
      `  svc-${i}:`,
      `    path: services/svc-${i}`,
      '    gates:',
      '      - name: install',
      '        run: npm ci',
      '      - name: lint',
      '        run: npm run lint',
      '      - name: test',
      '        run: npm test',
      '        timeout: 5m',
      '    build:',
      '      run: npm ci && npm run build',
      '      output: .',
      '    run:',
      '      command: npm start',
      `      port: ${3000 + i}`,
      '    health:',
      '      path: /healthz',
      '    smoke:',
      '      - name: home',
      '        path: /',
      '        expectStatus: 200',
    );
  }
  lines.push(
    'environments:',
    '  dev:',
    '    branch: develop',
    '    strategy: rolling',
    '  staging:',
    '    branch: staging',
    '    requires: dev',
    '    portOffset: 1000',
    '  production:',
    '    branch: main',
    '    requires: staging',
    '    strategy: blue-green',
    '    portOffset: 2000',
    '    approvals:',
    '      required: 2',
    '    confirmation: DEPLOY TO PRODUCTION',
  );
  return `${lines.join('\n')}\n`;
}

interface Case {
  readonly name: string;
  readonly args: readonly string[];
  readonly cwd?: string;
}

/**
 * Preloaded into every process measured (the peer too): at exit it writes the process's own CPU time
 * (user + system, all threads) to fd 3. On a shared machine wall time also counts waiting for a core;
 * CPU time shows the work the command itself does.
 */
const CPU_REPORTER = `data:text/javascript,${encodeURIComponent("import{writeSync}from'node:fs';process.on('exit',()=>{const u=process.cpuUsage();try{writeSync(3,String((u.user+u.system)/1000))}catch{}})")}`;

interface Sample {
  readonly wallMs: number;
  readonly cpuMs: number;
}

/** One process from spawn to exit; a non-zero exit fails the bench. */
function timeOnce(c: Case): Sample {
  const started = performance.now();
  const r = spawnSync(process.execPath, ['--import', CPU_REPORTER, ...c.args], { cwd: c.cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  const wallMs = performance.now() - started;
  if (r.status !== 0) throw new Error(`${c.name} exited ${r.status}: ${r.stderr || r.stdout}`);
  return { wallMs, cpuMs: Number(r.output[3]) };
}

/**
 * Where validate's time goes, in a fresh process as the CLI has it (nothing warmed up): loading the
 * config checker, parsing the YAML the way a valid file is read (js-yaml, the fast path; the
 * `yaml` tree is built only when there is something to position), the schema, then the named rules
 * and normalising. Uses the checker's modules in the same build as the CLI.
 */
function phasesOnce(cwd: string): Record<string, number> {
  const config = pathToFileURL(join(dirname(CLI), '..', 'config')).href;
  const script = `
    const t0 = performance.now();
    const [{ fastParse }, { GantryConfigSpec }, { runRules }, { normalizeConfig }, { readFileSync }] = await Promise.all([
      import('${config}/fast-yaml.js'), import('${config}/schema.js'), import('${config}/rules/index.js'), import('${config}/normalize.js'), import('node:fs'),
      import('${config}/loader.js')]);
    const t1 = performance.now();
    const read = fastParse(readFileSync('gantry.yaml', 'utf8'));
    const t2 = performance.now();
    if (!read) throw new Error('the generated config did not take the fast path');
    const parsed = GantryConfigSpec.safeParse(read.data);
    const t3 = performance.now();
    if (!parsed.success) throw new Error('the generated config does not pass the schema');
    runRules(parsed.data);
    normalizeConfig(parsed.data);
    const t4 = performance.now();
    console.log(JSON.stringify({ 'load the checker': t1 - t0, 'parse YAML (js-yaml)': t2 - t1, schema: t3 - t2, 'rules + normalise': t4 - t3 }));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`validate phases failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, number>;
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? NaN;
}

async function main(): Promise<void> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first with \`npx tsc -p tsconfig.build.json\``);
  const root = await mkdtemp(join(tmpdir(), 'gantry-bench-cli-'));
  try {
    await writeFile(join(root, 'gantry.yaml'), bigConfig(SERVICES));
    // The service folders exist, as they would in the repository the file describes.
    for (let i = 0; i < SERVICES; i++) await mkdir(join(root, 'services', `svc-${i}`), { recursive: true });
    const cases: Case[] = [
      { name: "node -e ''", args: ['-e', ''] },
      { name: 'gantry --help', args: [CLI, '--help'] },
      { name: 'gantry --version', args: [CLI, '--version'] },
      { name: `gantry validate (${SERVICES} services)`, args: [CLI, 'validate'], cwd: root },
    ];
    const samples = new Map<string, Sample[]>(cases.map((c) => [c.name, []]));
    for (const c of cases) timeOnce(c); // warm the file cache; not counted
    for (let round = 0; round < ROUNDS; round++) for (const c of cases) samples.get(c.name)?.push(timeOnce(c));

    const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
    console.log(`${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus().length} × ${cpu}, ${Math.round(totalmem() / 2 ** 30)} GiB; load average ${loadavg()[0]?.toFixed(1)}; ${ROUNDS} interleaved rounds\n`);
    console.log('| command | wall median | wall p90 | CPU median | CPU p90 |\n| --- | --- | --- | --- | --- |');
    const median: Record<string, number> = {};
    const ms = (n: number): string => `${n.toFixed(0)} ms`;
    for (const c of cases) {
      const wall = (samples.get(c.name) ?? []).map((s) => s.wallMs).sort((a, b) => a - b);
      const cpu = (samples.get(c.name) ?? []).map((s) => s.cpuMs).sort((a, b) => a - b);
      median[c.name] = quantile(wall, 0.5);
      console.log(`| \`${c.name}\` | ${ms(quantile(wall, 0.5))} | ${ms(quantile(wall, 0.9))} | ${ms(quantile(cpu, 0.5))} | ${ms(quantile(cpu, 0.9))} |`);
    }
    const help = median['gantry --help'] ?? NaN;
    const validate = median[`gantry validate (${SERVICES} services)`] ?? NaN;
    const total = help + validate;
    console.log(`\n--help + validate (wall medians): ${total.toFixed(0)} ms (aim ≤ ${AIM_MS} ms: ${total <= AIM_MS ? 'met' : 'NOT met'})`);

    const phases = Array.from({ length: Math.min(ROUNDS, 10) }, () => phasesOnce(root));
    console.log(`\nvalidate's phases in a fresh process (wall medians of ${phases.length}):`);
    for (const phase of Object.keys(phases[0] ?? {})) {
      console.log(`  ${phase.padEnd(22)} ${ms(quantile(phases.map((p) => p[phase] ?? NaN).sort((a, b) => a - b), 0.5))}`);
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

await main();
