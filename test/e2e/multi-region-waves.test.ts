import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScratchRepo } from '../../src/cli/demo/scratch-repo.js';
import { defaultWebRoot } from '../../src/server/dashboard.js';
import type { RunView, StepView } from '../../src/server/views.js';
import { cliEntry } from '../../src/targets/local/agent-launcher.js';
import type { EnvironmentStatusBody } from '../../src/cli/commands/status-table.js';
import { runCli } from '../support/cli.js';
import { launchBrowser, openPage, signIn } from '../support/browser.js';
import { basePort } from '../support/deploy-fixture.js';
import { fixtureRepo, pushChange, writeTree } from '../support/fixture-repo.js';
import { failedSteps } from '../support/pipeline-driver.js';
import { TempDirs } from '../support/temp.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

/**
 * Multi-region waves as a team runs them: three local targets (three real agents) as regions of
 * production, in two waves, releases dispatched over the API and each region's route asked over
 * HTTP. The service fails its smoke test only in the region its `fail-region` file names (it knows
 * its region from GANTRY_REGION), so a release can break in wave 2 alone.
 */
const SERVICE = `import { createServer } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
const version = readFileSync('./version', 'utf8').trim();
const broken = existsSync('./fail-region') && readFileSync('./fail-region', 'utf8').trim() === process.env.GANTRY_REGION;
const server = createServer((req, res) => {
  if (req.url === '/healthz') { res.end('ok'); return; }
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ service: broken ? 'broken' : 'api', version, region: process.env.GANTRY_REGION }));
});
server.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

const REGIONS = ['us-east-1', 'eu-west-1', 'ap-south-1'] as const;

/** production rolls every region back on a failure; edge (the same three targets, other ports) stops. */
const config = (port: number): string => `version: 1
project:
  name: waves
repository:
  url: .
  defaultBranch: main
services:
  api:
    path: api
    build:
      run: mkdir -p out && cp server.mjs version fail-region out/
      output: out
    run:
      command: node server.mjs
      port: ${port}
    health:
      path: /healthz
      interval: 100ms
      deadline: 5s
    smoke:
      - name: answers as api
        path: /
        expectJson: { field: service, equals: api }
targets:
  us: { kind: local }
  eu: { kind: local }
  ap: { kind: local }
environments:
${['production', 'edge']
  .map(
    (name, i) => `  ${name}:
    branch: ${name === 'production' ? 'main' : 'edge'}
    strategy: rolling
    portOffset: ${i * 25}
    regions:
      us-east-1: { target: us }
      eu-west-1: { target: eu, portOffset: 10 }
      ap-south-1: { target: ap, portOffset: 20 }
    waves: [[us-east-1], [eu-west-1, ap-south-1]]
    onFailure: ${name === 'production' ? 'rollback-all' : 'stop'}
    verify:
      - kind: health
      - kind: smoke
    watch:
      duration: 1s
      services: { api: { basis: health } }
`,
  )
  .join('')}`;

const files = (version: string, failRegion?: string): Record<string, string> => ({
  'api/server.mjs': SERVICE,
  'api/version': `${version}\n`,
  // Always written: a branch made from one that named a region must stop naming it.
  'api/fail-region': `${failRegion ?? 'none'}\n`,
});

describe('a production deploy in two waves across three regions', () => {
  const temp = new TempDirs();
  const port = basePort();
  const portOf = (env: 'production' | 'edge', region: (typeof REGIONS)[number]): number => port + (env === 'edge' ? 25 : 0) + REGIONS.indexOf(region) * 10;
  let t: TestServer;
  let repo: ScratchRepo;
  const versions = async (env: 'production' | 'edge'): Promise<Record<string, string>> => {
    const out: Record<string, string> = {};
    for (const region of REGIONS) out[region] = ((await (await fetch(`http://127.0.0.1:${portOf(env, region)}/`)).json()) as { version: string }).version;
    return out;
  };
  const deploy = async (environment: string, ref: string): Promise<{ run: RunView; steps: StepView[] }> => {
    const res = await t.api<{ run: RunView }>('POST', '/api/v1/dispatch', { environment, ref });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return t.finished(res.body.run.id, 60_000);
  };
  const step = (steps: readonly StepView[], key: string): StepView => {
    const found = steps.find((s) => s.key === key);
    if (!found) throw new Error(`no step ${key} in ${steps.map((s) => s.key).join(', ')}`);
    return found;
  };

  beforeAll(async () => {
    // gantry status runs as the built CLI and the dashboard is the built one: `npm run build` first.
    if (!existsSync(cliEntry()) || defaultWebRoot() === undefined) throw new Error('the built CLI or dashboard is missing: run `npm run build` before this test file');
    const root = await temp.make();
    repo = await fixtureRepo(root, { 'gantry.yaml': config(port), ...files('v1') });
    t = await startTestServer(root, repo, config(port));
  }, 60_000);
  afterAll(async () => {
    await t.server.close({ stopAgents: true });
    await temp.cleanup();
  });

  it('watches wave 1 before wave 2 deploys, and every region serves each good release', async () => {
    for (const version of ['v1', 'v2']) {
      if (version !== 'v1') await pushChange(repo, 'main', files(version), version, 'main');
      const { run, steps } = await deploy('production', 'main');
      expect(run.state, failedSteps(steps)).toBe('succeeded');
      const wave1Watched = Date.parse(step(steps, 'watch:production@us-east-1').finishedAt ?? '');
      for (const region of ['eu-west-1', 'ap-south-1']) {
        expect(Date.parse(step(steps, `deploy:production:api@${region}`).startedAt ?? '')).toBeGreaterThanOrEqual(wave1Watched);
        expect(step(steps, `watch:production@${region}`).state).toBe('succeeded');
      }
      expect(await versions('production')).toEqual({ 'us-east-1': version, 'eu-west-1': version, 'ap-south-1': version });
    }
  }, 90_000);

  it('rolls every region back to the previous release when wave 2 fails in one region (onFailure: rollback-all)', async () => {
    await pushChange(repo, 'main', files('v3', 'eu-west-1'), 'v3 breaks in eu-west-1', 'main');
    const { run, steps } = await deploy('production', 'main');
    expect(run.state).toBe('failed');
    expect(step(steps, 'verify:production@eu-west-1').state).toBe('failed');
    // Wave 1 had switched to v3 and passed its watch; it goes back too.
    expect(step(steps, 'watch:production@us-east-1').state).toBe('succeeded');
    expect(step(steps, 'rollback:production').state).toBe('succeeded');
    expect(step(steps, 'finalize:production').state).toBe('skipped');
    expect(await versions('production')).toEqual({ 'us-east-1': 'v2', 'eu-west-1': 'v2', 'ap-south-1': 'v2' });
  }, 90_000);

  it('shows each region with its target and live revision in gantry status production, the status API, the environments list and the dashboard', async () => {
    const env = { GANTRY_SERVER: t.server.url, GANTRY_TOKEN: t.token };
    const text = await runCli(['status', 'production'], env);
    expect(text.code, text.stderr).toBe(0);
    const body = JSON.parse((await runCli(['status', 'production', '-o', 'json'], env)).stdout) as EnvironmentStatusBody;
    const v2 = (await t.api<{ deployments: Array<{ release: string; region: string; revision: number; state: string }> }>('GET', '/api/v1/environments/production/history?service=api')).body.deployments;
    for (const [region, target] of [['us-east-1', 'us'], ['eu-west-1', 'eu'], ['ap-south-1', 'ap']] as const) {
      const live = body.regions?.find((r) => r.region === region)?.services.find((s) => s.service === 'api')?.live;
      // The release each region went back to is the one it had before v3: its last succeeded deployment there.
      const expected = v2.find((d) => d.region === region && d.state === 'succeeded');
      expect(live?.revision, region).toBe(expected?.revision);
      expect(text.stdout).toMatch(new RegExp(`^production@${region} \\(target ${target}\\)$`, 'm'));
      expect(text.stdout).toMatch(new RegExp(`^production@${region}[^]*?^api\\s+r${expected?.revision ?? '?'} live\\s+-\\s+ready`, 'm'));
    }
    expect(body.services).toEqual([]);
    const history = await runCli(['history', 'production', '--service', 'api'], env);
    for (const d of v2.slice(0, 3)) expect(history.stdout).toMatch(new RegExp(`^api@${d.region}\\s+r${d.revision}\\s`, 'm'));
    // The dashboard's environments page: each region's live revision and its traffic, in production's cell.
    const browser = await launchBrowser();
    try {
      const { page } = await openPage(browser);
      await signIn(page, t.server.url, t.token, '#/');
      for (const region of REGIONS) {
        const revision = v2.find((d) => d.region === region && d.state === 'succeeded')?.revision ?? 0;
        const cell = page.locator(`td[data-env="production"][data-service="api"] [data-region="${region}"]`);
        await cell.getByText(`r${revision} 100%`).waitFor({ timeout: 15_000 });
        expect(await cell.getAttribute('data-revision')).toBe(String(revision));
      }
    } finally {
      await browser.close();
    }
    const list = await t.api<{ environments: Array<{ name: string; regions?: Array<{ region: string; target: string; services: Array<{ port: number; live: { revision: number } | null }> }> }> }>('GET', '/api/v1/environments');
    const production = list.body.environments.find((e) => e.name === 'production');
    expect(production?.regions?.map((r) => [r.region, r.target, r.services[0]?.port])).toEqual([
      ['us-east-1', 'us', portOf('production', 'us-east-1')],
      ['eu-west-1', 'eu', portOf('production', 'eu-west-1')],
      ['ap-south-1', 'ap', portOf('production', 'ap-south-1')],
    ]);
  }, 60_000);

  it('keeps wave 1 on the new release and rolls back only the failed wave with onFailure: stop', async () => {
    await pushChange(repo, 'edge', files('v2'), 'edge v2', 'main');
    expect((await deploy('edge', 'edge')).run.state).toBe('succeeded');
    await pushChange(repo, 'edge', files('v3', 'ap-south-1'), 'v3 breaks in ap-south-1');
    const { run, steps } = await deploy('edge', 'edge');
    expect(run.state).toBe('failed');
    expect(step(steps, 'verify:edge@ap-south-1').state).toBe('failed');
    expect(step(steps, 'rollback:edge').message).toMatch(/stopped after wave 2 failed: us-east-1 \(api r\d+\) run the new release; .*eu-west-1.*ap-south-1.* back on the previous release/);
    expect(await versions('edge')).toEqual({ 'us-east-1': 'v3', 'eu-west-1': 'v2', 'ap-south-1': 'v2' });
  }, 90_000);

  it('refuses gantry rollback on an environment with regions, and the earlier release dispatched by its sha goes back out wave by wave', async () => {
    const refused = await t.api<{ code: string; hint: string }>('POST', '/api/v1/environments/production/rollback', { reason: 'try' });
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('ROLLBACK_UNAVAILABLE');
    expect(refused.body.hint).toContain('gantry dispatch production --release <sha>');
    const first = (await t.api<{ deployments: Array<{ release: string }> }>('GET', '/api/v1/environments/production/history?service=api&limit=500')).body.deployments.at(-1)?.release ?? '';
    const res = await t.api<{ run: RunView }>('POST', '/api/v1/dispatch', { environment: 'production', release: first });
    const { run, steps } = await t.finished(res.body.run.id, 60_000);
    expect(run.state, failedSteps(steps)).toBe('succeeded');
    expect(await versions('production')).toEqual({ 'us-east-1': 'v1', 'eu-west-1': 'v1', 'ap-south-1': 'v1' });
  }, 60_000);

  it('counts the authors a dispatch brings in from the oldest release a region runs, so one of them cannot approve it', async () => {
    // Production's regions run the first release; Mallory's commit, then Ada's on top, come after it.
    await repo.git('checkout', '--quiet', 'main');
    await writeTree(repo.workDir, { 'api/notes.md': 'by mallory\n' });
    await repo.git('add', '-A');
    await repo.git('commit', '--quiet', '-m', 'notes', '--author', 'Mallory Dev <mallory@waves.example>');
    await writeTree(repo.workDir, { 'api/notes.md': 'by ada\n' });
    await repo.commitAll('more notes');
    await repo.push('main');
    const res = await t.api<{ run: RunView & { authors: string[] } }>('POST', '/api/v1/dispatch', { environment: 'production', ref: 'main' });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.run.authors).toContain('Mallory Dev <mallory@waves.example>');
    await t.api('POST', `/api/v1/runs/${res.body.run.id}/cancel`);
    expect((await t.finished(res.body.run.id, 60_000)).run.state).toBe('cancelled');
  }, 60_000);
});
