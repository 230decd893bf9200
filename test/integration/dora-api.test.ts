import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/kernel/clock.js';
import { parseConfigText } from '../../src/config/loader.js';
import type { GantryConfig } from '../../src/config/types.js';
import type { Engine } from '../../src/engine/engine.js';
import { EngineBus } from '../../src/engine/events.js';
import { DAY_MS, HOUR_MS, type DoraMetrics } from '../../src/domain/dora/index.js';
import { buildApp } from '../../src/server/app.js';
import { bootstrapAdminToken } from '../../src/server/auth.js';
import type { ServerContext } from '../../src/server/context.js';
import { Store } from '../../src/store/store.js';
import { sqliteDialect } from '../../src/store/sqlite/sqlite-dialect.js';
import { CLI } from '../support/server-process.js';
import { TempDirs } from '../support/temp.js';

const NOW = Date.UTC(2026, 10, 26, 12);
const MIN = 60_000;

const CONFIG = `version: 1
project:
  name: dora-test
repository:
  url: .
services:
  api:
    path: api
    run:
      command: node server.mjs
      port: 3100
  web:
    path: web
    run:
      command: node server.mjs
      port: 3150
environments:
  staging:
    branch: staging
    portOffset: 1000
  production:
    branch: main
    requires: staging
    portOffset: 2000
`;

interface SeedDeployment {
  readonly environment?: string;
  readonly service: string;
  readonly revision: number;
  readonly sha: string;
  readonly committedAt: number;
  readonly createdAt: number;
  readonly state: string;
  readonly reason?: string;
  readonly ref?: string;
}

/**
 * Production history, 30 days back from NOW (figures worked out in the tests below):
 * api r1 ok; r2 rolled back by Gantry; r3 ok but followed by a hotfix (r4, from hotfix/login).
 * web r1 ok; r2 ok but reverted by a manual rollback to r1 (r3). One staging deployment, ignored.
 */
const HISTORY: SeedDeployment[] = [
  { service: 'api', revision: 1, sha: 'a1', committedAt: NOW - 10 * DAY_MS - 2 * HOUR_MS, createdAt: NOW - 10 * DAY_MS, state: 'succeeded' },
  { service: 'api', revision: 2, sha: 'b2', committedAt: NOW - 8 * DAY_MS - 4 * HOUR_MS, createdAt: NOW - 8 * DAY_MS, state: 'rolled-back', reason: 'watch: error rate 12 %' },
  { service: 'api', revision: 3, sha: 'c3', committedAt: NOW - 7 * DAY_MS - HOUR_MS, createdAt: NOW - 7 * DAY_MS, state: 'succeeded' },
  { service: 'api', revision: 4, sha: 'd4', committedAt: NOW - 6 * DAY_MS - 30 * MIN, createdAt: NOW - 6 * DAY_MS, state: 'succeeded', ref: 'hotfix/login' },
  { service: 'web', revision: 1, sha: 'a1', committedAt: NOW - 10 * DAY_MS - 2 * HOUR_MS, createdAt: NOW - 9 * DAY_MS, state: 'succeeded' },
  { service: 'web', revision: 2, sha: 'b2', committedAt: NOW - 8 * DAY_MS - 4 * HOUR_MS, createdAt: NOW - 5 * DAY_MS, state: 'succeeded' },
  { service: 'web', revision: 3, sha: 'a1', committedAt: NOW - 10 * DAY_MS - 2 * HOUR_MS, createdAt: NOW - 4 * DAY_MS, state: 'succeeded', reason: 'rollback to r1: checkout broken', ref: 'rollback production' },
  { environment: 'staging', service: 'api', revision: 1, sha: 'a1', committedAt: NOW - 10 * DAY_MS - 2 * HOUR_MS, createdAt: NOW - 11 * DAY_MS, state: 'succeeded' },
];

/** Every deployment took five minutes: all of them land in the 300 s bucket. */
async function seed(store: Store): Promise<void> {
  const db = store.db;
  const releases = new Map<string, number>();
  for (const d of HISTORY) {
    if (!releases.has(d.sha)) {
      const row = await db.insertInto('releases').values({ sha: d.sha, run_id: null, committed_at: d.committedAt, created_at: d.committedAt }).returning('id').executeTakeFirstOrThrow();
      releases.set(d.sha, Number(row.id));
    }
    const run = await db
      .insertInto('runs')
      .values({ trigger: 'dispatch', branch: null, ref: d.ref ?? 'main', sha: d.sha, base_sha: null, environment: d.environment ?? 'production', state: 'succeeded', notes: '[]', author: null, triggered_by: 'alice', commit_message: null, commit_time: d.committedAt, config_json: null, error_json: null, cancel_requested: 0, created_at: d.createdAt, started_at: d.createdAt, finished_at: d.createdAt + 5 * MIN })
      .returning('id')
      .executeTakeFirstOrThrow();
    await db
      .insertInto('deployments')
      .values({ environment: d.environment ?? 'production', service: d.service, release_id: releases.get(d.sha) ?? 0, digest: `sha256:${d.sha}`, revision: d.revision, previous_revision: d.revision > 1 ? d.revision - 1 : null, strategy: 'rolling', run_id: Number(run.id), triggered_by: 'alice', state: d.state, reason: d.reason ?? null, created_at: d.createdAt, finished_at: d.createdAt + 5 * MIN })
      .execute();
  }
  // Gate results and one approval waiting, on a run of their own.
  const run = await db
    .insertInto('runs')
    .values({ trigger: 'push', branch: 'main', ref: 'main', sha: 'e5', base_sha: null, environment: 'production', state: 'running', notes: '[]', author: 'bob', triggered_by: 'git push', commit_message: null, commit_time: NOW - HOUR_MS, config_json: null, error_json: null, cancel_requested: 0, created_at: NOW - HOUR_MS, started_at: NOW - HOUR_MS, finished_at: null })
    .returning('id')
    .executeTakeFirstOrThrow();
  const steps: Array<[string, string, string | null, string]> = [
    ['gate:api:lint', 'gate', 'api', 'succeeded'],
    ['gate:api:test', 'gate', 'api', 'failed'],
    ['gate:web:lint', 'gate', 'web', 'succeeded'],
    ['approve:production', 'approval', null, 'waiting'],
  ];
  let position = 0;
  for (const [key, kind, service, state] of steps) {
    await db
      .insertInto('steps')
      .values({ run_id: Number(run.id), key, kind, name: key, service, environment: kind === 'approval' ? 'production' : null, needs_json: '[]', run_when: 'success', spec_json: '{}', position: position++, state, message: null, attempt: 1, max_attempts: 1, not_before: 0, lease_owner: null, lease_expires_at: null, pid: null, cached: 0, summary_json: null, error_json: null, started_at: null, finished_at: null })
      .execute();
  }
}

interface DoraBody {
  window: string;
  environment: string;
  from: string;
  to: string;
  overall: DoraMetrics;
  services: Record<string, DoraMetrics>;
}

interface Sample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

/**
 * A strict reader of the Prometheus text format 0.0.4 as prom-client writes it: every line is a
 * HELP, a TYPE or a sample of a family whose TYPE came before; anything else fails the test.
 */
function parsePrometheus(text: string): { types: Map<string, string>; samples: Sample[] } {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (meta) {
      if (meta[1] === 'TYPE') types.set(meta[2] ?? '', meta[3] ?? '');
      continue;
    }
    // prom-client writes NaN as `Nan` (the event loop's mean before its first sample); Prometheus reads either.
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (-?[0-9.e+-]+|NaN|Nan|[+-]Inf)$/.exec(line);
    if (!sample) throw new Error(`not a Prometheus line: ${line}`);
    const name = sample[1] ?? '';
    const family = [...types.keys()].find((f) => name === f || name === `${f}_bucket` || name === `${f}_sum` || name === `${f}_count`);
    if (!family) throw new Error(`sample before its TYPE: ${line}`);
    const labels: Record<string, string> = {};
    const body = sample[2] ?? '';
    const labelPattern = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/y;
    while (labelPattern.lastIndex < body.length) {
      const label = labelPattern.exec(body);
      if (!label) throw new Error(`bad labels: ${line}`);
      labels[label[1] ?? ''] = label[2] ?? '';
    }
    samples.push({ name, labels, value: Number(sample[3]) });
  }
  return { types, samples };
}

/** The key paths of a JSON value, values left out: what docs/cli.md promises. */
function keysOf(value: unknown, prefix = ''): string[] {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return [];
  return Object.entries(value)
    .flatMap(([k, v]) => [`${prefix}${k}`, ...(prefix === '' && k === 'services' ? [] : keysOf(v, `${prefix}${k}.`))])
    .sort();
}

async function documentedDora(): Promise<DoraBody> {
  const docs = await readFile(fileURLToPath(new URL('../../docs/cli.md', import.meta.url)), 'utf8');
  const match = /<!-- shape: dora -->\s*```json\n([\s\S]*?)```/.exec(docs);
  if (!match?.[1]) throw new Error('docs/cli.md documents no shape "dora"');
  return JSON.parse(match[1]) as DoraBody;
}

describe('DORA over the API, /metrics and the CLI', () => {
  const temp = new TempDirs();
  let store: Store;
  let app: FastifyInstance;
  let token: string;
  let url: string;
  let root: string;
  let context: ServerContext;

  beforeAll(async () => {
    root = await temp.make();
    store = await Store.open(sqliteDialect(join(root, 'gantry.db')));
    await seed(store);
    token = (await bootstrapAdminToken(store, NOW)) ?? '';
    const parsed = parseConfigText(CONFIG, 'gantry.yaml');
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    const config: GantryConfig = parsed.config;
    // The DORA and /metrics routes never touch the engine: any use of it here is a bug, and says so.
    // Its event bus is real: the stream route subscribes to it when the app is built.
    const bus = new EngineBus();
    const engine = new Proxy({}, { get: (_target, key) => { if (key === 'bus') return bus; throw new Error('the engine is not part of this test'); } }) as Engine;
    context = { store, engine, clock: { ...systemClock, now: () => NOW }, logger: pino({ level: 'silent' }), version: 'test', config: () => config, notifySource: () => undefined };
    app = buildApp(context);
    url = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await app?.close();
    await store?.close();
    await temp.cleanup();
  });

  const get = (path: string, auth = true) => app.inject({ method: 'GET', url: path, headers: auth ? { authorization: `Bearer ${token}` } : {} });

  it('reports production over 30 days by default, overall and per service, with bands', async () => {
    const res = await get('/api/v1/dora');
    expect(res.statusCode).toBe(200);
    const body = res.json<DoraBody>();
    expect(body).toMatchObject({ window: '30d', environment: 'production', from: new Date(NOW - 30 * DAY_MS).toISOString(), to: new Date(NOW).toISOString() });
    expect(Object.keys(body.services)).toEqual(['api', 'web']);
    const o = body.overall;
    expect(o.deployments).toBe(7);
    expect(o.deploymentFrequency).toMatchObject({ count: 6, band: 'high' });
    expect(o.deploymentFrequency.perDay).toBeCloseTo(0.2);
    expect(o.deploymentFrequency.perWeek).toBeCloseTo(1.4);
    expect(o.deploymentFrequency.perMonth).toBeCloseTo(6);
    // api r1 2h05, r3 1h05, r4 0h35; web r1 26h05, r2 76h05 (web r3 is a rollback, not a change).
    expect(o.leadTime).toEqual({ medianMs: 2 * HOUR_MS + 5 * MIN, p90Ms: 56 * HOUR_MS + 5 * MIN, samples: 5, band: 'elite' });
    // api r2 (rolled back), api r3 (a hotfix followed), web r2 (reverted by hand).
    expect(o.changeFailureRate.count).toBe(3);
    expect(o.changeFailureRate.total).toBe(7);
    expect(o.changeFailureRate.rate).toBeCloseTo(3 / 7);
    expect(o.changeFailureRate.band).toBe('low');
    expect(o.recoveryTime).toEqual({ medianMs: DAY_MS + 5 * MIN, samples: 1, unrecovered: 0, band: 'medium' });
    expect(o.reworkRate).toEqual({ rate: 3 / 8, count: 3, total: 8, band: null });
    expect(o.successRate.count).toBe(6);
    expect(body.services.api?.changeFailureRate).toMatchObject({ count: 2, total: 4, rate: 0.5 });
    expect(body.services.api?.deploymentFrequency.band).toBe('medium');
    expect(body.services.web?.changeFailureRate).toMatchObject({ count: 1, total: 3 });
    expect(body.services.web?.recoveryTime).toMatchObject({ medianMs: null, samples: 0 });
  });

  it('narrows to the window asked for and reads other environments', async () => {
    const week = (await get('/api/v1/dora?window=7d')).json<DoraBody>();
    expect(week.overall.deployments).toBe(4);
    expect(week.overall.deploymentFrequency.count).toBe(4);
    const staging = (await get('/api/v1/dora?environment=staging&window=12h')).json<DoraBody>();
    expect(staging.overall.deployments).toBe(0);
    expect(staging.overall.leadTime.medianMs).toBeNull();
    expect(staging.overall.deploymentFrequency.perDay).toBeNull();
  });

  it('refuses an unknown environment with 400 UNKNOWN_ENVIRONMENT and a bad window with 400 BAD_REQUEST', async () => {
    const env = await get('/api/v1/dora?environment=prod');
    expect(env.statusCode).toBe(400);
    expect(env.json()).toMatchObject({ code: 'UNKNOWN_ENVIRONMENT', hint: expect.stringContaining('production') });
    for (const window of ['30', '0d', '1y', '9999d']) {
      const bad = await get(`/api/v1/dora?window=${window}`);
      expect(bad.statusCode, window).toBe(400);
      expect(bad.json()).toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('window') });
    }
  });

  it('asks for the API token on /api/v1/dora and /metrics', async () => {
    for (const path of ['/api/v1/dora', '/metrics']) {
      const res = await get(path, false);
      expect(res.statusCode).toBe(401);
      expect(res.json()).toMatchObject({ code: 'AUTH_REQUIRED' });
    }
  });

  it('serves /metrics as Prometheus text with the seeded figures', async () => {
    const res = await get('/metrics');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const { types, samples } = parsePrometheus(res.body);
    expect(Object.fromEntries(types)).toMatchObject({
      gantry_deployments_total: 'counter',
      gantry_rollbacks_total: 'counter',
      gantry_deployment_duration_seconds: 'histogram',
      gantry_gate_results_total: 'counter',
      gantry_approvals_waiting: 'gauge',
      gantry_dora_deployment_frequency_per_day: 'gauge',
      gantry_dora_lead_time_seconds: 'gauge',
      gantry_dora_change_failure_ratio: 'gauge',
      gantry_dora_recovery_time_seconds: 'gauge',
    });
    const value = (name: string, labels: Record<string, string>): number | undefined =>
      samples.find((s) => s.name === name && Object.keys(labels).length === Object.keys(s.labels).length && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;

    expect(value('gantry_deployments_total', { environment: 'production', service: 'api', result: 'succeeded' })).toBe(3);
    expect(value('gantry_deployments_total', { environment: 'production', service: 'api', result: 'rolled-back' })).toBe(1);
    expect(value('gantry_deployments_total', { environment: 'production', service: 'web', result: 'succeeded' })).toBe(3);
    expect(value('gantry_deployments_total', { environment: 'staging', service: 'api', result: 'succeeded' })).toBe(1);
    expect(value('gantry_rollbacks_total', { environment: 'production', service: 'api' })).toBe(1);
    expect(value('gantry_rollbacks_total', { environment: 'production', service: 'web' })).toBe(1);
    expect(value('gantry_rollbacks_total', { environment: 'staging', service: 'api' })).toBeUndefined();

    const bucket = (le: string) => value('gantry_deployment_duration_seconds_bucket', { environment: 'production', service: 'api', le });
    expect([bucket('120'), bucket('300'), bucket('3600'), bucket('+Inf')]).toEqual([0, 4, 4, 4]);
    expect(value('gantry_deployment_duration_seconds_sum', { environment: 'production', service: 'api' })).toBe(1200);
    expect(value('gantry_deployment_duration_seconds_count', { environment: 'production', service: 'api' })).toBe(4);

    expect(value('gantry_gate_results_total', { service: 'api', gate: 'lint', result: 'succeeded' })).toBe(1);
    expect(value('gantry_gate_results_total', { service: 'api', gate: 'test', result: 'failed' })).toBe(1);
    expect(value('gantry_gate_results_total', { service: 'web', gate: 'lint', result: 'succeeded' })).toBe(1);
    expect(value('gantry_approvals_waiting', { environment: 'production', kind: 'deploy' })).toBe(1);

    expect(value('gantry_dora_deployment_frequency_per_day', { environment: 'production' })).toBeCloseTo(0.2);
    expect(value('gantry_dora_lead_time_seconds', { environment: 'production', quantile: '0.5' })).toBe(7500);
    expect(value('gantry_dora_lead_time_seconds', { environment: 'production', quantile: '0.9' })).toBe(56 * 3600 + 300);
    expect(value('gantry_dora_change_failure_ratio', { environment: 'production' })).toBeCloseTo(3 / 7);
    expect(value('gantry_dora_change_failure_ratio', { environment: 'production', service: 'api' })).toBe(0.5);
    // Renamed: a 0..1 share is a _ratio in Prometheus' naming.
    expect(types.has('gantry_dora_change_failure_rate')).toBe(false);
    expect(value('gantry_dora_recovery_time_seconds', { environment: 'production' })).toBe(86_400 + 300);
    // An empty window has no figure, so no series rather than NaN.
    expect(value('gantry_dora_recovery_time_seconds', { environment: 'production', service: 'web' })).toBeUndefined();
    expect(samples.some((s) => s.name.startsWith('gantry_') && Number.isNaN(s.value))).toBe(false);
  });

  it('serves the process’s own figures under their standard names beside Gantry’s', async () => {
    const { types, samples } = parsePrometheus((await get('/metrics')).body);
    expect(types.get('process_cpu_user_seconds_total')).toBe('counter');
    expect(types.get('nodejs_eventloop_lag_seconds')).toBe('gauge');
    expect(types.get('process_resident_memory_bytes')).toBe('gauge');
    expect(samples.find((s) => s.name === 'process_cpu_user_seconds_total')?.value).toBeGreaterThan(0);
    expect(samples.find((s) => s.name === 'nodejs_eventloop_lag_seconds')?.value).toBeGreaterThanOrEqual(0);
    // No prefix of ours on them, and none of ours without it.
    expect([...types.keys()].filter((name) => !/^(gantry|process|nodejs)_/.test(name))).toEqual([]);
  });

  it('reports the same figures after a restart: a new store and app on the same file (nothing lives only in memory)', async () => {
    // Gantry's own series; the process's (CPU, memory, event loop) move between two scrapes.
    const gantrySeries = (text: string): string => text.split('\n').filter((line) => /^(# (HELP|TYPE) )?gantry_/.test(line)).join('\n');
    const before = gantrySeries((await get('/metrics')).body);
    const reopened = await Store.open(sqliteDialect(join(root, 'gantry.db')));
    const restarted = buildApp({ ...context, store: reopened });
    try {
      const after = await restarted.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${token}` } });
      expect(gantrySeries(after.body)).toBe(before);
      expect(after.body).toMatch(/gantry_deployments_total\{environment="production",service="api",result="succeeded"\} 3/);
    } finally {
      await restarted.close();
      await reopened.close();
    }
  });

  describe('gantry dora over a real socket', () => {
    const gantry = (args: string[]) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        execFile(process.execPath, [CLI, ...args], { env: { ...process.env, NO_COLOR: '1', GANTRY_SERVER: url, GANTRY_TOKEN: token } }, (error, stdout, stderr) => {
          resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
        });
      });

    beforeAll(() => {
      if (!existsSync(CLI)) throw new Error('dist/cli/main.js is missing: run `npm run build` first');
    });

    it('prints a table with each metric and its band', async () => {
      const r = await gantry(['dora', '--window', '30d', '--env', 'production']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/DORA metrics of production, last 30d/);
      expect(r.stdout).toMatch(/^overall\s+0\.20 high\s+2h 5m \/ 2d 8h elite\s+42\.9 % low\s+1d 0h medium\s+37\.5 %\s+85\.7 %$/m);
      expect(r.stdout).toMatch(/^api\s+0\.10 medium/m);
      expect(r.stdout).toMatch(/^web\s+0\.10 medium\s.*\s-\s/m);
    });

    it('prints the API answer with --output json', async () => {
      const r = await gantry(['dora', '--output', 'json']);
      expect(r.code).toBe(0);
      const body = JSON.parse(r.stdout) as DoraBody;
      expect(body.environment).toBe('production');
      expect(body.overall.changeFailureRate.count).toBe(3);
      // docs/cli.md shows the same keys (service names are data, so one service's entry is compared).
      const documented = await documentedDora();
      expect(keysOf(body)).toEqual(keysOf(documented));
      expect(keysOf(body.overall)).toEqual(keysOf(documented.overall));
      expect(keysOf(body.services.api)).toEqual(keysOf(Object.values(documented.services)[0]));
    });

    it('exits 1 on an unknown environment and 2 on a window it cannot read', async () => {
      const env = await gantry(['dora', '--env', 'prod']);
      expect(env.code).toBe(1);
      expect(env.stderr).toMatch(/UNKNOWN_ENVIRONMENT/);
      expect((await gantry(['dora', '--window', 'forever'])).code).toBe(2);
    });
  });
  it('counts deployments that finish between scrapes exactly once, and a restarted exporter agrees', async () => {
    const metric = async (target: FastifyInstance, result: string): Promise<number | undefined> => {
      const res = await target.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${token}` } });
      return parsePrometheus(res.body).samples.find((x) => x.name === 'gantry_deployments_total' && x.labels.environment === 'staging' && x.labels.service === 'api' && x.labels.result === result)?.value;
    };
    expect(await metric(app, 'succeeded')).toBe(1);
    const release = await store.db.selectFrom('releases').select('id').where('sha', '=', 'a1').executeTakeFirstOrThrow();
    const row = (revision: number, createdAt: number, state: string, finished: boolean) => ({
      environment: 'staging', service: 'api', release_id: Number(release.id), digest: 'sha256:a1', revision, previous_revision: revision - 1, strategy: 'rolling', run_id: null, triggered_by: 'alice', state, reason: null, created_at: createdAt, finished_at: finished ? createdAt + MIN : null,
    });
    // A finished one, one still in flight, and one made seconds ago (too fresh to keep, still counted).
    await store.db.insertInto('deployments').values([row(2, NOW - HOUR_MS, 'succeeded', true), row(3, NOW - 10 * MIN, 'pending', false), row(4, NOW - 10_000, 'succeeded', true)]).execute();
    expect(await metric(app, 'succeeded')).toBe(3);
    expect(await metric(app, 'failed')).toBeUndefined();
    await store.db.updateTable('deployments').set({ state: 'failed', finished_at: NOW - 5 * MIN }).where('environment', '=', 'staging').where('revision', '=', 3).execute();
    expect(await metric(app, 'failed')).toBe(1);
    expect(await metric(app, 'succeeded')).toBe(3);
    expect(await metric(app, 'succeeded')).toBe(3);
    const restarted = buildApp(context);
    try {
      expect(await metric(restarted, 'succeeded')).toBe(3);
      expect(await metric(restarted, 'failed')).toBe(1);
    } finally {
      await restarted.close();
    }
  });
});
