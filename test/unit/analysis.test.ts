import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/loader.js';
import type { ConfigIssue } from '../../src/config/loader.js';
import type { AnalysisMetricConfig } from '../../src/config/types.js';
import { ConfigError, GantryError } from '../../src/errors/gantry-error.js';
import { runAnalysis } from '../../src/metrics/analysis.js';
import type { AnalysisContext } from '../../src/metrics/analysis.js';
import { analysisError, analysisSummary, describeMeasurement } from '../../src/metrics/analysis-report.js';
import { MAX_CONDITION_DEPTH, parseCondition } from '../../src/metrics/condition.js';
import { noData, measurementError, value } from '../../src/metrics/provider.js';
import type { MeasureWindow, Measurement, MetricProvider, MetricProviders, MetricQuery } from '../../src/metrics/provider.js';
import { RouterProvider } from '../../src/metrics/providers/router-provider.js';
import type { RevisionTraffic } from '../../src/targets/target.js';
import { yaml } from '../fixtures/config/yaml-text.js';

// ─── fixtures ────────────────────────────────────────────────────────────────────────────────────

const T0 = 1_700_000_000_000;
const CONTEXT: AnalysisContext = { environment: 'staging', service: 'api', revision: 7, previous: 6 };

function metric(overrides: Partial<AnalysisMetricConfig> = {}): AnalysisMetricConfig {
  return { name: 'error-rate', provider: 'router', query: 'error-rate', intervalMs: 10_000, count: 3, successCondition: 'result < 0.01', failureLimit: 0, inconclusiveLimit: 0, compare: undefined, ...overrides };
}

/** A clock that only moves when the analysis sleeps: no real time passes in these tests. */
function fakeTime(start = T0): { clock: { now(): number }; sleep: (ms: number, signal: AbortSignal) => Promise<void>; slept: number[] } {
  let now = start;
  const slept: number[] = [];
  return {
    clock: { now: () => now },
    sleep: async (ms, signal) => {
      signal.throwIfAborted();
      slept.push(ms);
      now += ms;
    },
    slept,
  };
}

type Script = (query: MetricQuery, call: number) => Measurement;

class FakeProvider implements MetricProvider {
  readonly calls: { query: MetricQuery; window: MeasureWindow }[] = [];
  constructor(
    readonly name: string,
    private readonly script: Script,
  ) {}
  async measure(query: MetricQuery, window: MeasureWindow): Promise<Measurement> {
    this.calls.push({ query, window });
    return this.script(query, this.calls.filter((c) => c.query.role === query.role).length - 1);
  }
}

/** The candidate's measurements in order (the last one repeats); the baseline's from `baseline`. */
function scripted(candidate: readonly Measurement[], baseline: readonly Measurement[] = []): FakeProvider {
  const pick = (list: readonly Measurement[], call: number): Measurement => list[Math.min(call, list.length - 1)] ?? noData('nothing scripted');
  return new FakeProvider('router', (query, call) => pick(query.role === 'baseline' ? baseline : candidate, call));
}

async function analyse(metrics: readonly AnalysisMetricConfig[], providers: MetricProviders, context: AnalysisContext = CONTEXT) {
  const time = fakeTime();
  const result = await runAnalysis({ metrics, providers, context, clock: time.clock, sleep: time.sleep, signal: new AbortController().signal });
  return { result, time };
}

const phases = (result: { measurements: readonly { phase: string }[] }): string[] => result.measurements.map((m) => m.phase);

// ─── the analysis ────────────────────────────────────────────────────────────────────────────────

describe('runAnalysis', () => {
  it('measures a metric count times, one interval apart, each over the interval that just ended', async () => {
    const provider = scripted([value(0.001)]);
    const { result, time } = await analyse([metric({ count: 3, intervalMs: 10_000 })], { router: provider });
    expect(result.phase).toBe('successful');
    expect(provider.calls.map((c) => [c.window.start - T0, c.window.end - T0])).toEqual([
      [0, 10_000],
      [10_000, 20_000],
      [20_000, 30_000],
    ]);
    expect(result.measurements.map((m) => [m.index, m.at - T0, m.value])).toEqual([
      [1, 10_000, 0.001],
      [2, 20_000, 0.001],
      [3, 30_000, 0.001],
    ]);
    expect(time.slept).toEqual([10_000, 10_000, 10_000]);
    expect(result.metrics[0]?.tally).toEqual({ successful: 3, failed: 0, inconclusive: 0, error: 0 });
  });

  it('fails a metric once its failures exceed failureLimit, and stops measuring it', async () => {
    const provider = scripted([value(0.002), value(0.05), value(0.04), value(0.001)]);
    const { result } = await analyse([metric({ count: 4, failureLimit: 1 })], { router: provider });
    expect(result.phase).toBe('failed');
    expect(result.metric).toBe('error-rate');
    expect(phases(result)).toEqual(['successful', 'failed', 'failed']);
    expect(provider.calls).toHaveLength(3);
    expect(result.reason).toContain('metric error-rate failed: 2 measurements failed, more than failureLimit 1');
    expect(result.reason).toContain('0.04 fails result < 0.01');
  });

  it('tolerates failures up to failureLimit', async () => {
    const { result } = await analyse([metric({ count: 3, failureLimit: 1 })], { router: scripted([value(0.5), value(0), value(0)]) });
    expect(result.phase).toBe('successful');
    expect(phases(result)).toEqual(['failed', 'successful', 'successful']);
  });

  it('is inconclusive, never successful, when a measurement has no data', async () => {
    const { result } = await analyse([metric({ count: 3 })], { router: scripted([value(0), noData('r7 got no requests in the window')]) });
    expect(result.phase).toBe('inconclusive');
    expect(result.metric).toBe('error-rate');
    expect(phases(result)).toEqual(['successful', 'inconclusive']);
    expect(result.reason).toContain('metric error-rate is inconclusive');
    expect(result.reason).toContain('no data: r7 got no requests in the window');
  });

  it('tolerates measurements without data up to inconclusiveLimit', async () => {
    const { result } = await analyse([metric({ count: 3, inconclusiveLimit: 1 })], { router: scripted([noData('quiet'), value(0)]) });
    expect(result.phase).toBe('successful');
    expect(phases(result)).toEqual(['inconclusive', 'successful', 'successful']);
  });

  it('is inconclusive when no measurement succeeded, whatever the limits allow (Argo Rollouts issue 4479)', async () => {
    const { result } = await analyse([metric({ count: 2, failureLimit: 1, inconclusiveLimit: 1 })], { router: scripted([value(1), measurementError('Prometheus rejected the query (bad_data): parse error')]) });
    expect(phases(result)).toEqual(['failed', 'error']);
    expect(result.phase).toBe('inconclusive');
    expect(result.reason).toContain('none of 2 measurements succeeded (1 failed, 0 inconclusive, 1 in error)');
  });

  it('is inconclusive when every measurement has no data, even with generous limits', async () => {
    const { result } = await analyse([metric({ count: 3, inconclusiveLimit: 3 })], { router: scripted([noData('no traffic')]) });
    expect(result.phase).toBe('inconclusive');
    expect(phases(result)).toEqual(['inconclusive', 'inconclusive', 'inconclusive']);
  });

  it("counts an error measurement like one without data, keeping the provider's message", async () => {
    const { result } = await analyse([metric()], { router: scripted([measurementError('cannot reach Prometheus at http://127.0.0.1:9: connect ECONNREFUSED')]) });
    expect(result.phase).toBe('inconclusive');
    expect(result.measurements[0]).toMatchObject({ phase: 'error', message: 'cannot reach Prometheus at http://127.0.0.1:9: connect ECONNREFUSED' });
    expect(result.reason).toContain('1 measurement in error, more than inconclusiveLimit 0');
  });

  it('ends the whole analysis when one metric fails, stopping the others', async () => {
    const fast = scripted([value(0), value(0), value(1)]);
    const slow = new FakeProvider('prometheus', () => value(10));
    const metrics = [metric({ name: 'errors', intervalMs: 10_000, count: 5 }), metric({ name: 'latency', provider: 'prometheus', query: 'p99', intervalMs: 25_000, count: 4, successCondition: 'result < 100' })];
    const { result } = await analyse(metrics, { router: fast, prometheus: slow });
    expect(result.phase).toBe('failed');
    expect(result.metric).toBe('errors');
    expect(result.measurements.map((m) => `${m.metric}#${m.index}@${(m.at - T0) / 1000}`)).toEqual(['errors#1@10', 'errors#2@20', 'latency#1@25', 'errors#3@30']);
    expect(result.metrics.map((m) => [m.name, m.phase])).toEqual([
      ['errors', 'failed'],
      ['latency', 'stopped'],
    ]);
    expect(result.metrics[1]?.reason).toBe('stopped after 1 of 4 measurements: metric errors failed');
  });

  it('lets a later failure of another metric win over an earlier inconclusive one', async () => {
    const metrics = [metric({ name: 'quiet', intervalMs: 10_000, count: 2 }), metric({ name: 'bad', provider: 'prometheus', query: 'q', intervalMs: 15_000, count: 2 })];
    const { result } = await analyse(metrics, { router: scripted([noData('no traffic')]), prometheus: scripted([value(0), value(1)]) });
    expect(result.phase).toBe('failed');
    expect(result.metric).toBe('bad');
    expect(result.metrics.map((m) => m.phase)).toEqual(['inconclusive', 'failed']);
  });

  it('measures metrics due at the same time together, in config order', async () => {
    const metrics = [metric({ name: 'a', count: 2 }), metric({ name: 'b', count: 2 })];
    const { result } = await analyse(metrics, { router: scripted([value(0)]) });
    expect(result.measurements.map((m) => `${m.metric}#${m.index}`)).toEqual(['a#1', 'b#1', 'a#2', 'b#2']);
  });

  it('turns a provider that throws into a measurement in error', async () => {
    const broken = new FakeProvider('router', () => {
      throw new Error('socket hang up');
    });
    const { result } = await analyse([metric()], { router: broken });
    expect(result.measurements[0]).toMatchObject({ phase: 'error', message: 'router failed: socket hang up' });
  });

  it('rejects with the abort reason when cancelled, rather than returning a result', async () => {
    const controller = new AbortController();
    const provider = new FakeProvider('router', () => {
      controller.abort(new Error('step cancelled'));
      return value(0);
    });
    const time = fakeTime();
    const run = runAnalysis({ metrics: [metric()], providers: { router: provider }, context: CONTEXT, clock: time.clock, sleep: time.sleep, signal: controller.signal });
    await expect(run).rejects.toThrow('step cancelled');
    expect(provider.calls).toHaveLength(1);
  });

  it('calls begin once per provider before the first measurement, and reports each measurement as it is taken', async () => {
    const events: string[] = [];
    const provider: MetricProvider = {
      name: 'router',
      begin: async () => void events.push('begin'),
      measure: async (query) => (events.push(`measure ${query.metric}`), value(0)),
    };
    const time = fakeTime();
    await runAnalysis({
      metrics: [metric({ name: 'a', count: 1 }), metric({ name: 'b', count: 1 })],
      providers: { router: provider },
      context: CONTEXT,
      clock: time.clock,
      sleep: time.sleep,
      signal: new AbortController().signal,
      onMeasurement: (record) => events.push(describeMeasurement(record, 1)),
    });
    expect(events).toEqual(['begin', 'measure a', 'measure b', 'a #1/1 successful: 0 passes result < 0.01', 'b #1/1 successful: 0 passes result < 0.01']);
  });

  it('passes a vector only when every series passes, and ignores NaN series', async () => {
    const ok = await analyse([metric({ count: 1 })], { router: scripted([{ kind: 'vector', values: [0.001, Number.NaN, 0.002] }]) });
    expect(ok.result.phase).toBe('successful');
    expect(ok.result.measurements[0]?.value).toEqual([0.001, 0.002]);
    const bad = await analyse([metric({ count: 1 })], { router: scripted([{ kind: 'vector', values: [0.001, 0.2] }]) });
    expect(bad.result.phase).toBe('failed');
    expect(bad.result.measurements[0]?.message).toBe('0.2 fails result < 0.01');
    const nan = await analyse([metric({ count: 1 })], { router: scripted([value(Number.NaN)]) });
    expect(nan.result.phase).toBe('inconclusive');
  });

  it('rejects an invalid condition before measuring anything', async () => {
    const provider = scripted([value(0)]);
    const error = await analyse([metric({ successCondition: 'len(result) > 0' })], { router: provider }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe('CONFIG_INVALID_CONDITION');
    expect(provider.calls).toHaveLength(0);
  });

  it('rejects a metric whose provider is not configured', async () => {
    const error = await analyse([metric({ provider: 'prometheus' })], { router: scripted([value(0)]) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe('CONFIG_PROMETHEUS_MISSING');
  });

  it('proves nothing without metrics', async () => {
    const { result } = await analyse([], {});
    expect(result.phase).toBe('inconclusive');
  });
});

describe('comparing with the previous revision', () => {
  const compared = metric({ name: 'p99', query: 'p99-latency-ms', compare: 'previous', successCondition: 'result <= baseline * 1.2', count: 2 });

  it('measures the previous revision with the same query and exposes it as baseline', async () => {
    const provider = scripted([value(110), value(130)], [value(100)]);
    const { result } = await analyse([compared], { router: provider });
    expect(provider.calls.map((c) => [c.query.revision, c.query.role])).toEqual([
      [7, 'candidate'],
      [6, 'baseline'],
      [7, 'candidate'],
      [6, 'baseline'],
    ]);
    expect(result.measurements.map((m) => [m.phase, m.value, m.baseline])).toEqual([
      ['successful', 110, 100],
      ['failed', 130, 100],
    ]);
    expect(result.measurements[1]?.message).toBe('130 fails result <= baseline * 1.2 with baseline 100');
    expect(result.phase).toBe('failed');
  });

  it('is inconclusive when the baseline has no data', async () => {
    const { result } = await analyse([compared], { router: scripted([value(50)], [noData('the router does not route any traffic of api to r6')]) });
    expect(result.phase).toBe('inconclusive');
    expect(result.measurements[0]?.message).toBe('no baseline: the router does not route any traffic of api to r6');
  });

  it('is inconclusive when there is no previous revision, without measuring anything', async () => {
    const provider = scripted([value(50)], [value(50)]);
    const { result } = await analyse([compared], { router: provider }, { ...CONTEXT, previous: undefined });
    expect(result.phase).toBe('inconclusive');
    expect(provider.calls).toHaveLength(0);
    expect(result.measurements[0]?.message).toContain('no previous revision');
  });

  it('is in error when the baseline query returns several series', async () => {
    const { result } = await analyse([compared], { router: scripted([value(50)], [{ kind: 'vector', values: [1, 2] }]) });
    expect(result.measurements[0]).toMatchObject({ phase: 'error' });
    expect(result.measurements[0]?.message).toContain('aggregate it to one');
  });

  it('fills the placeholders of the query, with the previous revision for the baseline', async () => {
    const provider = new FakeProvider('prometheus', () => value(1));
    const query = 'x{env="{{environment}}",svc="{{ service }}",rev="{{revision}}",prev="{{previous}}"}[{{window}}]';
    await analyse([metric({ provider: 'prometheus', query, count: 1, intervalMs: 30_000, compare: 'previous', successCondition: 'result <= baseline' })], { prometheus: provider });
    expect(provider.calls.map((c) => c.query.text)).toEqual(['x{env="staging",svc="api",rev="7",prev="6"}[30000ms]', 'x{env="staging",svc="api",rev="6",prev="6"}[30000ms]']);
  });
});

describe('analysisError and analysisSummary', () => {
  it('turn a failed result into ANALYSIS_FAILED, an inconclusive one into ANALYSIS_INCONCLUSIVE, and a pass into nothing', async () => {
    const failed = (await analyse([metric({ count: 1 })], { router: scripted([value(0.5)]) })).result;
    const inconclusive = (await analyse([metric({ count: 1 })], { router: scripted([noData('quiet')]) })).result;
    const passed = (await analyse([metric({ count: 1 })], { router: scripted([value(0)]) })).result;
    const f = analysisError(failed);
    expect(f).toBeInstanceOf(GantryError);
    expect(f?.code).toBe('ANALYSIS_FAILED');
    expect(f?.message).toContain('0.5 fails result < 0.01');
    expect(analysisError(inconclusive)?.code).toBe('ANALYSIS_INCONCLUSIVE');
    expect(analysisError(passed)).toBeUndefined();
  });

  it('keeps every measurement in a JSON-safe summary, Infinity included', async () => {
    const { result } = await analyse([metric({ count: 1, successCondition: 'result < 500' })], { router: scripted([value(Number.POSITIVE_INFINITY)]) });
    const summary = JSON.parse(JSON.stringify(analysisSummary(result))) as { phase: string; measurements: { value: unknown; phase: string }[] };
    expect(summary.phase).toBe('failed');
    expect(summary.measurements).toEqual([expect.objectContaining({ value: 'Infinity', phase: 'failed' })]);
  });
});

// ─── the router provider ─────────────────────────────────────────────────────────────────────────

function traffic(revision: number, requests: number, failed = 0, fastShare = 1): RevisionTraffic {
  const fast = Math.round(requests * fastShare);
  return {
    revision,
    requests,
    status: { '2xx': requests - failed, '3xx': 0, '4xx': 0, '5xx': failed },
    errors: 0,
    latencyBuckets: { '50': fast, '250': fast, '1000': requests, '+Inf': requests },
  };
}

describe('RouterProvider', () => {
  function router(readings: (readonly RevisionTraffic[])[]) {
    const time = fakeTime();
    let call = 0;
    const provider = new RouterProvider(async () => readings[Math.min(call++, readings.length - 1)] ?? [], time.clock);
    return { provider, time };
  }
  const query = (text: string, revision = 7, role: MetricQuery['role'] = 'candidate'): MetricQuery => ({ metric: text, text, environment: 'staging', service: 'api', revision, role });

  it('computes error rate, p99 and request rate from the counter deltas over the window', async () => {
    const { provider, time } = router([[traffic(7, 100, 1)], [traffic(7, 300, 5, 0.5)]]);
    const signal = new AbortController().signal;
    await provider.begin(signal);
    await time.sleep(10_000, signal);
    const window = { start: T0, end: T0 + 10_000 };
    const results = [];
    for (const text of ['error-rate', 'p99-latency-ms', 'request-rate']) results.push(await provider.measure(query(text), window, signal));
    expect(results).toEqual([value(4 / 200), value(1000), value(20)]);
  });

  it('has no data when the revision got no requests in the window', async () => {
    const { provider, time } = router([[traffic(7, 100)], [traffic(7, 100)]]);
    const signal = new AbortController().signal;
    await provider.begin(signal);
    await time.sleep(10_000, signal);
    expect(await provider.measure(query('error-rate'), { start: T0, end: T0 + 10_000 }, signal)).toEqual(noData('r7 of api got no requests in the window'));
  });

  it('judges a baseline the router no longer routes to on what it served, but never the candidate', async () => {
    const { provider, time } = router([[traffic(7, 100, 2)], [traffic(7, 400, 4)]]);
    const signal = new AbortController().signal;
    provider.record([traffic(6, 1000, 10)], T0 - 1);
    await provider.begin(signal);
    await time.sleep(10_000, signal);
    const window = { start: T0, end: T0 + 10_000 };
    expect(await provider.measure(query('error-rate', 6, 'baseline'), window, signal)).toEqual(value(0.01));
    expect(await provider.measure(query('request-rate', 6, 'baseline'), window, signal)).toMatchObject({ kind: 'no-data' });
    expect(await provider.measure(query('error-rate', 5, 'baseline'), window, signal)).toEqual(noData('the router has counted no traffic of api to r5, neither in the window nor before'));
    expect(await provider.measure(query('error-rate', 6, 'candidate'), window, signal)).toMatchObject({ kind: 'no-data' });
  });

  it('judges a baseline that is still routed but got no requests in the window on its whole record', async () => {
    const { provider, time } = router([[traffic(7, 100), traffic(6, 500, 5)], [traffic(7, 200), traffic(6, 500, 5)]]);
    const signal = new AbortController().signal;
    await provider.begin(signal);
    await time.sleep(10_000, signal);
    const window = { start: T0, end: T0 + 10_000 };
    expect(await provider.measure(query('error-rate', 6, 'baseline'), window, signal)).toEqual(value(0.01));
    expect(await provider.measure(query('error-rate', 6, 'candidate'), window, signal)).toEqual(noData('r6 of api got no requests in the window'));
  });

  it('answers an unknown query, or a router it cannot read, with an error measurement', async () => {
    const signal = new AbortController().signal;
    const { provider } = router([[traffic(7, 1)]]);
    expect(await provider.measure(query('latency'), { start: T0, end: T0 }, signal)).toMatchObject({ kind: 'error', message: expect.stringContaining('the router has no query "latency"') });
    const down = new RouterProvider(async () => Promise.reject(new Error('agent unreachable')), fakeTime().clock);
    await down.begin(signal);
    expect(await down.measure(query('error-rate'), { start: T0, end: T0 }, signal)).toEqual(measurementError("cannot read the router's counters: agent unreachable"));
  });

  it('drives a whole analysis on a fake clock: steady traffic passes, then errors fail it', async () => {
    let requests = 0;
    let failed = 0;
    const time = fakeTime();
    const provider = new RouterProvider(async () => [traffic(7, requests, failed)], time.clock);
    const sleep = async (ms: number, signal: AbortSignal): Promise<void> => {
      await time.sleep(ms, signal);
      requests += 100;
      failed += time.slept.length >= 3 ? 20 : 0;
    };
    const result = await runAnalysis({ metrics: [metric({ count: 4, failureLimit: 0 })], providers: { router: provider }, context: CONTEXT, clock: time.clock, sleep, signal: new AbortController().signal });
    expect(result.measurements.map((m) => [m.phase, m.value])).toEqual([
      ['successful', 0],
      ['successful', 0],
      ['failed', 0.2],
    ]);
    expect(result.phase).toBe('failed');
  });
});

// ─── success conditions ──────────────────────────────────────────────────────────────────────────

describe('success conditions', () => {
  it.each([
    ['result < 0.01', { result: 0.005 }, true],
    ['result < 0.01', { result: 0.01 }, false],
    ['result <= baseline * 1.2', { result: 120, baseline: 100 }, true],
    ['result <= baseline * 1.2', { result: 121, baseline: 100 }, false],
    ['result <= baseline * 1.2 || result < 50', { result: 40, baseline: 10 }, true],
    ['0 < result && result < 1', { result: 0.5 }, true],
    ['(result - baseline) / baseline < 0.1', { result: 105, baseline: 100 }, true],
    ['-result > -1', { result: 0.5 }, true],
    ['result == 0 || result >= 1e3', { result: 1000 }, true],
    ['result != 0', { result: Number.NaN }, false],
    ['result < 1', { result: Number.NaN }, false],
    ['result > .5', { result: 0.75 }, true],
    ['2 * (result + 1) >= 3 && (result < 10 || result > 100)', { result: 1 }, true],
  ] as const)('%s with %o is %s', (text, inputs, expected) => {
    const parsed = parseCondition(text);
    if (!parsed.ok) throw new Error(`${text} did not parse: ${parsed.message}`);
    expect(parsed.condition.test(inputs)).toBe(expected);
  });

  it.each([
    ['', 'empty'],
    ['result', 'a number, not a test'],
    ['result * 2', 'a number, not a test'],
    ['len(result) > 0', 'unknown name "len"'],
    ['result.length > 0', 'unknown name "result.length"'],
    ['result[0] < 1', 'unexpected character "["'],
    ['0 < result < 1', 'comparisons do not chain'],
    ['result = 1', '"=" (compare with ==)'],
    ['!(result > 1)', '"!" (only != is allowed)'],
    ['result > 1 & result < 2', 'write &&'],
    ['result < 1 && 2', 'joins two tests'],
    ['(result < 1) + 1 > 0', 'works on numbers, not on tests'],
    ['(result < 1', 'expected ")"'],
    ['result < 1)', 'unexpected ")"'],
    ['result <', 'found the end of the condition'],
    ['process.exit(1)', 'unknown name "process.exit"'],
    ['constructor < 1', 'unknown name "constructor"'],
    ['result < 1 ? 1 : 0', 'unexpected character "?"'],
    ['"1" < result', 'unexpected character'],
    ['true', 'unknown name "true"'],
    [`${'('.repeat(MAX_CONDITION_DEPTH + 1)}result < 1${')'.repeat(MAX_CONDITION_DEPTH + 1)}`, 'nested more than'],
    [`result < ${'1 + '.repeat(200)}1`, 'longer than'],
  ])('rejects %j (%s)', (text, says) => {
    const parsed = parseCondition(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.message).toContain(says);
      expect(parsed.column).toBeGreaterThanOrEqual(1);
    }
  });

  it('points at the column of the problem', () => {
    expect(parseCondition('result < 1 && len(x)')).toMatchObject({ ok: false, column: 15 });
  });

  it('tells whether a condition names baseline', () => {
    expect(parseCondition('result < baseline')).toMatchObject({ condition: { usesBaseline: true } });
    expect(parseCondition('result < 1')).toMatchObject({ condition: { usesBaseline: false } });
  });
});

// Random conditions as trees, rendered with spaces between tokens, so that a forbidden token can be
// inserted between any two. `!=` renders as a call in the JS oracle, where NaN != x is true.
type Tree = { text: string[]; js: string[] };
const NUMBERS = ['0', '1', '2.5', '0.01', '.5', '1e3', '1e-3', '100'];
const { bool } = fc.letrec<{ num: Tree; bool: Tree }>((tie) => ({
  num: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom(...NUMBERS, 'result', 'baseline').map((t) => ({ text: [t], js: [t] })),
    tie('num').map((a) => ({ text: ['-', ...a.text], js: ['-', ...a.js] })),
    tie('num').map((a) => ({ text: ['(', ...a.text, ')'], js: ['(', ...a.js, ')'] })),
    fc.tuple(tie('num'), fc.constantFrom('+', '-', '*', '/'), tie('num')).map(([a, op, b]) => ({ text: [...a.text, op, ...b.text], js: [...a.js, op, ...b.js] })),
  ),
  bool: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.tuple(tie('num'), fc.constantFrom('<', '<=', '>', '>=', '==', '!='), tie('num')).map(([a, op, b]) => ({
      text: [...a.text, op, ...b.text],
      js: op === '!=' ? ['ne(', ...a.js, ',', ...b.js, ')'] : ['(', ...a.js, op === '==' ? '===' : op, ...b.js, ')'],
    })),
    fc.tuple(tie('bool'), fc.constantFrom('&&', '||'), tie('bool')).map(([a, op, b]) => ({ text: [...a.text, op, ...b.text], js: [...a.js, op, ...b.js] })),
    tie('bool').map((a) => ({ text: ['(', ...a.text, ')'], js: ['(', ...a.js, ')'] })),
  ),
}));
const condition = bool.filter((t) => t.text.join(' ').length <= 500 && t.text.filter((x) => x === '(' || x === '-').length < MAX_CONDITION_DEPTH);
const input = fc.oneof(fc.double(), fc.constantFrom(0, 1, -1, Number.NaN, Number.POSITIVE_INFINITY));
const FORBIDDEN = ['len', 'eval', 'Function', 'constructor', '__proto__', 'process', 'true', 'NaN', 'Infinity', 'x', '!', '=', ';', '[', ']', '"', "'", '`', '?', ':', '{', '}', '%', '^', '~', ',', '&', '|', '\\', '@', '#'];

describe('the condition grammar (property)', () => {
  it('parses every condition built from the grammar, and evaluates it as plain arithmetic would, without throwing', () => {
    fc.assert(
      fc.property(condition, input, input, (tree, result, baseline) => {
        const parsed = parseCondition(tree.text.join(' '));
        if (!parsed.ok) throw new Error(`${tree.text.join(' ')}: ${parsed.message}`);
        // The oracle is JavaScript itself; only the test may build a function from text.
        const oracle = new Function('result', 'baseline', 'ne', `return ${tree.js.join(' ')};`) as (r: number, b: number, ne: (a: number, b: number) => boolean) => boolean;
        const ne = (a: number, b: number): boolean => !Number.isNaN(a) && !Number.isNaN(b) && a !== b;
        expect(parsed.condition.test({ result, baseline })).toBe(oracle(result, baseline, ne));
      }),
      { numRuns: 500 },
    );
  });

  it('rejects a grammar condition with any token from outside the grammar inserted anywhere', () => {
    fc.assert(
      fc.property(condition, fc.constantFrom(...FORBIDDEN), fc.nat(), (tree, bad, at) => {
        const tokens = [...tree.text];
        tokens.splice(at % (tokens.length + 1), 0, bad);
        expect(parseCondition(tokens.join(' ')).ok).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it('never throws, whatever the text', () => {
    const alphabet = fc.constantFrom(...'resultbaseline0123456789.eE+-*/<>=!&|() \t[]"x'.split(''), 'result', 'baseline', '&&', '||');
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: alphabet, maxLength: 80 })), (text) => {
        const parsed = parseCondition(text);
        if (parsed.ok) expect(typeof parsed.condition.test({ result: 1, baseline: 2 })).toBe('boolean');
        else expect(parsed.column).toBeGreaterThanOrEqual(1);
      }),
      { numRuns: 2000 },
    );
  });
});

// ─── gantry.yaml ─────────────────────────────────────────────────────────────────────────────────

/** Lines 1–12 are the same for every case; the metric's own keys start at line 13, `more` follows. */
const withAnalysis = (metricYaml: string, more = ''): string =>
  yaml`
    version: 1
    project: { name: demo }
    repository: { url: . }
    services:
      api: { path: api, run: { command: node api.js, port: 3000 } }
    environments:
      staging:
        branch: staging
        watch:
          duration: 2m
          analysis:
            - name: error-rate
  ` +
  metricYaml
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => `          ${line}\n`)
    .join('') +
  more;

function issuesOf(text: string): ConfigIssue[] {
  const result = parseConfigText(text, 'gantry.yaml');
  return result.ok ? result.warnings : [...result.errors, ...result.warnings];
}

describe('analysis in gantry.yaml', () => {
  const VALID = 'provider: router\nquery: error-rate\ninterval: 30s\ncount: 4\nsuccessCondition: result < 0.02';

  it('normalises durations to milliseconds and defaults both limits to 0', () => {
    const result = parseConfigText(withAnalysis(VALID, 'prometheus: { url: "http://127.0.0.1:9090" }\n'), 'gantry.yaml');
    if (!result.ok) throw new Error(result.errors.map((e) => e.message).join('; '));
    expect(result.config.environments.staging?.watch?.analysis).toEqual([
      { name: 'error-rate', provider: 'router', query: 'error-rate', intervalMs: 30_000, count: 4, successCondition: 'result < 0.02', failureLimit: 0, inconclusiveLimit: 0, compare: undefined },
    ]);
    expect(result.config.prometheus).toEqual({ url: 'http://127.0.0.1:9090', timeoutMs: 10_000 });
  });

  it('rejects an invalid successCondition at load, at its line, with the grammar as hint', () => {
    const [issue] = issuesOf(withAnalysis(VALID.replace('result < 0.02', 'len(result) > 0')));
    expect(issue).toMatchObject({ code: 'CONFIG_INVALID_CONDITION', severity: 'error', line: 17, path: ['environments', 'staging', 'watch', 'analysis', 0, 'successCondition'] });
    expect(issue?.message).toContain('unknown name "len"');
    expect(issue?.hint).toContain('result <= baseline * 1.2');
  });

  it('rejects baseline in a metric that does not compare with the previous revision', () => {
    const [issue] = issuesOf(withAnalysis(VALID.replace('result < 0.02', 'result < baseline')));
    expect(issue).toMatchObject({ code: 'CONFIG_INVALID_CONDITION', line: 17 });
    expect(issue?.hint).toContain('compare: previous');
    expect(issuesOf(withAnalysis(`${VALID.replace('result < 0.02', 'result < baseline')}\ncompare: previous`))).toEqual([]);
  });

  it('rejects a prometheus metric when no prometheus server is configured', () => {
    const metricYaml = 'provider: prometheus\nquery: sum(rate(x{revision="{{revision}}"}[{{window}}]))\ninterval: 30s\ncount: 4\nsuccessCondition: result < 1';
    expect(issuesOf(withAnalysis(metricYaml))).toEqual([expect.objectContaining({ code: 'CONFIG_PROMETHEUS_MISSING', line: 13 })]);
    expect(issuesOf(withAnalysis(metricYaml, 'prometheus: { url: "http://127.0.0.1:9090", timeout: 5s }\n'))).toEqual([]);
  });

  it('rejects an unknown router query with a suggestion, and an unknown placeholder', () => {
    expect(issuesOf(withAnalysis(VALID.replace('query: error-rate', 'query: error-rat')))).toEqual([expect.objectContaining({ code: 'CONFIG_INVALID_VALUE', line: 14, hint: 'did you mean "error-rate"?' })]);
    const prom = 'provider: prometheus\nquery: x{rev="{{revison}}"}\ninterval: 30s\ncount: 4\nsuccessCondition: result < 1';
    expect(issuesOf(withAnalysis(prom, 'prometheus: { url: "http://127.0.0.1:9090" }\n'))).toEqual([expect.objectContaining({ code: 'CONFIG_INVALID_VALUE', message: expect.stringContaining('{{revison}}') })]);
  });

  it('rejects two metrics with one name, and warns about a failureLimit that can never be exceeded', () => {
    const second = ['- name: error-rate', '  provider: router', '  query: request-rate', '  interval: 30s', '  count: 2', '  failureLimit: 2', '  successCondition: result > 1'];
    const issues = issuesOf(withAnalysis(VALID, second.map((line) => `        ${line}\n`).join('')));
    expect(issues.map((i) => [i.code, i.severity])).toEqual(expect.arrayContaining([
      ['CONFIG_DUPLICATE_METRIC', 'error'],
      ['CONFIG_INVALID_VALUE', 'warning'],
    ]));
  });

  it('rejects a zero interval', () => {
    expect(issuesOf(withAnalysis(VALID.replace('interval: 30s', 'interval: 0')))).toEqual([expect.objectContaining({ code: 'CONFIG_INVALID_VALUE', line: 15 })]);
  });
});
