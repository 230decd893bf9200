import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnalysisMetricConfig } from '../../src/config/types.js';
import { runAnalysis } from '../../src/metrics/analysis.js';
import type { Measurement, MetricQuery } from '../../src/metrics/provider.js';
import { PrometheusProvider } from '../../src/metrics/providers/prometheus-provider.js';
import { TempDirs, until } from '../support/temp.js';
import { freePort } from '../support/free-port.js';

/**
 * The Prometheus provider against a real Prometheus: the test serves a /metrics endpoint whose
 * counters move by a fixed amount on every scrape, starts `prometheus` scraping it every second,
 * and queries it the way an analysis does.
 */

const PROMETHEUS = (process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, 'prometheus')).find((file) => existsSync(file)) ?? '';
const SKIP = PROMETHEUS === '' ? ' (SKIPPED: no prometheus binary on PATH; install it with `apt-get install -y prometheus`)' : '';
if (SKIP !== '') console.warn(`test/integration/prometheus-provider.test.ts${SKIP}`);

/** Per scrape: r7 answers 98 × 200 and 2 × 500 (error ratio 0.02), r6 99 × 200 and 1 × 500 (0.01). */
const PER_SCRAPE: Record<string, Record<string, number>> = { '7': { '200': 98, '500': 2 }, '6': { '200': 99, '500': 1 } };

const RATIO = (revision: string): string =>
  `sum(rate(http_requests_total{service="{{service}}",revision="${revision}",code=~"5.."}[10s])) / sum(rate(http_requests_total{service="{{service}}",revision="${revision}"}[10s]))`;
const ERROR_RATIO = RATIO('{{revision}}');

const dirs = new TempDirs();
let app: Server | undefined;
let prometheus: ChildProcess | undefined;
let url = '';
let log = '';

function startApp(): Promise<number> {
  const counts = new Map<string, number>();
  app = createServer((req, res) => {
    if (req.url !== '/metrics') return void res.writeHead(404).end();
    const lines = ['# HELP http_requests_total Requests answered.', '# TYPE http_requests_total counter'];
    for (const [revision, codes] of Object.entries(PER_SCRAPE)) {
      for (const [code, step] of Object.entries(codes)) {
        const key = `${revision}/${code}`;
        const total = (counts.get(key) ?? 0) + step;
        counts.set(key, total);
        lines.push(`http_requests_total{service="api",revision="${revision}",code="${code}"} ${total}`);
      }
    }
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(`${lines.join('\n')}\n`);
  });
  return new Promise((resolve) => app?.listen(0, '127.0.0.1', () => resolve((app?.address() as AddressInfo).port)));
}


async function instant(query: string): Promise<{ status: string; data?: { result: unknown[] } }> {
  const response = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(query)}`);
  return (await response.json()) as { status: string; data?: { result: unknown[] } };
}

const provider = (): PrometheusProvider => new PrometheusProvider({ url, timeoutMs: 5_000 });
const query = (text: string, revision = 7): MetricQuery => ({ metric: 'm', text: text.replaceAll('{{service}}', 'api').replaceAll('{{revision}}', String(revision)), environment: 'staging', service: 'api', revision, role: 'candidate' });
const now = (): { start: number; end: number } => ({ start: Date.now() - 10_000, end: Date.now() });
const measure = (text: string, revision = 7): Promise<Measurement> => provider().measure(query(text, revision), now(), new AbortController().signal);

describe.skipIf(SKIP !== '')(`the Prometheus provider against a real Prometheus${SKIP}`, () => {
  beforeAll(async () => {
    const appPort = await startApp();
    const dir = await dirs.make('gantry-prometheus-');
    const config = join(dir, 'prometheus.yml');
    await writeFile(config, ['global:', '  scrape_interval: 1s', '  evaluation_interval: 1s', 'scrape_configs:', '  - job_name: app', '    static_configs:', `      - targets: ['127.0.0.1:${appPort}']`, ''].join('\n'));
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    prometheus = spawn(PROMETHEUS, [`--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'], { stdio: ['ignore', 'pipe', 'pipe'] });
    prometheus.stdout?.on('data', (c: Buffer) => (log += c.toString()));
    prometheus.stderr?.on('data', (c: Buffer) => (log += c.toString()));
    // The first scrape comes a few seconds after start; a rate needs two samples in its range.
    await until('Prometheus to scrape the app', async () => (await instant('up{job="app"} == 1')).data?.result.length === 1, 45_000, 250).catch((e: unknown) => {
      throw new Error(`${String(e)}\nprometheus log:\n${log}`);
    });
    await until('two samples of the error ratio', async () => ((await instant(RATIO('7').replaceAll('{{service}}', 'api'))).data?.result.length ?? 0) > 0, 45_000, 250);
  });

  afterAll(async () => {
    const child = prometheus;
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    await new Promise((resolve) => (app ? app.close(resolve) : resolve(undefined)));
    await dirs.cleanup();
  });

  it('measures an error ratio per revision, the placeholders filled in', async () => {
    const r7 = await measure(ERROR_RATIO, 7);
    const r6 = await measure(ERROR_RATIO, 6);
    expect(r7.kind).toBe('value');
    expect(r7.kind === 'value' && r7.value).toBeCloseTo(0.02, 6);
    expect(r6.kind === 'value' && r6.value).toBeCloseTo(0.01, 6);
  });

  it('measures a request rate, and a vector with one number per series', async () => {
    // irate: the last two samples only, since rate() over a series younger than its range reads low.
    const rate = await measure('sum(irate(http_requests_total{revision="{{revision}}"}[10s]))');
    expect(rate.kind).toBe('value');
    // 100 requests per scrape, one scrape a second; the scrape timing makes it approximate.
    expect(rate.kind === 'value' && rate.value).toBeGreaterThan(50);
    expect(rate.kind === 'value' && rate.value).toBeLessThan(200);
    const vector = await measure('sum by (code) (rate(http_requests_total{revision="{{revision}}"}[10s]))');
    expect(vector.kind).toBe('vector');
    expect(vector.kind === 'vector' && vector.values).toHaveLength(2);
  });

  it('reads a scalar result', async () => {
    expect(await measure('scalar(count(http_requests_total))')).toEqual({ kind: 'value', value: 4 });
  });

  it('has no data for an empty vector or a NaN', async () => {
    expect(await measure(ERROR_RATIO, 99)).toMatchObject({ kind: 'no-data', reason: expect.stringContaining('no series') });
    expect(await measure('0 / 0')).toMatchObject({ kind: 'no-data', reason: expect.stringContaining('NaN') });
  });

  it("turns broken PromQL into an error measurement with Prometheus's own message", async () => {
    const broken = await measure('sum(rate(http_requests_total[10s])');
    expect(broken.kind).toBe('error');
    expect(broken.kind === 'error' && broken.message).toMatch(/^Prometheus rejected the query \(bad_data\): .*parse error/);
    expect(await measure('http_requests_total[10s]')).toMatchObject({ kind: 'error', message: expect.stringContaining('range vector') });
  });

  it('turns an unreachable or silent server into an error measurement, within the timeout', async () => {
    const closed = await freePort();
    const unreachable = await new PrometheusProvider({ url: `http://127.0.0.1:${closed}` }).measure(query('up'), now(), new AbortController().signal);
    expect(unreachable).toMatchObject({ kind: 'error', message: expect.stringContaining(`cannot reach Prometheus at http://127.0.0.1:${closed}`) });
    // Never answers; notes when the client hangs up on it.
    let hungUp = false;
    const silent = createServer((req) => req.socket.once('close', () => (hungUp = true)));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const slow = await new PrometheusProvider({ url: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`, timeoutMs: 300 }).measure(query('up'), now(), new AbortController().signal);
      expect(slow).toMatchObject({ kind: 'error', message: expect.stringContaining('did not answer within 300 ms') });
      // Within the timeout: the provider gave up on its own (the server never answers or closes), and hung up.
      await until('the provider to close its request', () => hungUp, 10_000);
    } finally {
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(resolve, ms);
      signal.addEventListener('abort', () => (clearTimeout(timer), reject(signal.reason)), { once: true });
    });
  const analyse = (overrides: Partial<AnalysisMetricConfig>) =>
    runAnalysis({
      metrics: [{ name: 'error-ratio', provider: 'prometheus', query: ERROR_RATIO, intervalMs: 300, count: 2, successCondition: 'result < 0.05', failureLimit: 0, inconclusiveLimit: 0, compare: undefined, ...overrides }],
      providers: { prometheus: provider() },
      context: { environment: 'staging', service: 'api', revision: 7, previous: 6 },
      clock: { now: () => Date.now() },
      sleep,
      signal: new AbortController().signal,
    });

  it('runs a whole analysis that passes under its threshold and fails above it', async () => {
    const passed = await analyse({ successCondition: 'result < 0.05' });
    expect(passed.phase).toBe('successful');
    expect(passed.measurements.map((m) => m.phase)).toEqual(['successful', 'successful']);
    const failed = await analyse({ successCondition: 'result < 0.015' });
    expect(failed.phase).toBe('failed');
    expect(failed.reason).toMatch(/metric error-ratio failed: 1 measurement failed.*0\.02 fails result < 0\.015/);
  });

  it('compares the new revision with the previous one, and is inconclusive without data', async () => {
    expect((await analyse({ compare: 'previous', successCondition: 'result <= baseline * 3' })).phase).toBe('successful');
    const worse = await analyse({ compare: 'previous', successCondition: 'result <= baseline * 1.5' });
    expect(worse.phase).toBe('failed');
    expect(worse.measurements[0]).toMatchObject({ baseline: expect.closeTo(0.01, 6), message: expect.stringContaining('with baseline 0.01') });
    const silent = await analyse({ query: ERROR_RATIO.replaceAll('{{revision}}', '99') });
    expect(silent.phase).toBe('inconclusive');
    expect(silent.reason).toContain('no series');
  });
});
