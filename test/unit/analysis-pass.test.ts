import { describe, expect, it } from 'vitest';
import type { AnalysisMetricConfig } from '../../src/config/types.js';
import { FakeClock } from '../../src/kernel/fake-clock.js';
import { analysisPass } from '../../src/metrics/analysis.js';
import type { AnalysisProgress } from '../../src/metrics/analysis.js';
import { value } from '../../src/metrics/provider.js';
import type { MeasureWindow, Measurement, MetricProvider, MetricQuery } from '../../src/metrics/provider.js';
import { credit, startWatch } from '../../src/steps/watch-state.js';

const CONTEXT = { environment: 'staging', service: 'api', revision: 7, previous: 6 };
const METRIC: AnalysisMetricConfig = { name: 'error-rate', provider: 'router', query: 'error-rate', intervalMs: 1_000, count: 4, successCondition: 'result < 0.05', failureLimit: 0, inconclusiveLimit: 0, compare: undefined };

class CountingProvider implements MetricProvider {
  readonly name = 'router';
  readonly windows: MeasureWindow[] = [];
  begins = 0;
  async begin(): Promise<void> {
    this.begins++;
  }
  async measure(_query: MetricQuery, window: MeasureWindow): Promise<Measurement> {
    this.windows.push(window);
    return value(0.01);
  }
}

describe('an analysis in passes', () => {
  it('carries on from stored measurements after a restart: none taken again, the windows move on with the time analysed, begin only once', async () => {
    const clock = new FakeClock();
    const signal = new AbortController().signal;
    const pass = async (provider: CountingProvider, progress: AnalysisProgress | null, elapsedMs: number) =>
      analysisPass({ metrics: [METRIC], providers: { router: provider }, context: CONTEXT, clock, signal, progress, elapsedMs, at: clock.now() });
    const before = new CountingProvider();
    let p = await pass(before, null, 0);
    expect([p.nextDueMs, before.begins, p.progress.records.length]).toEqual([1_000, 1, 0]);
    await clock.advance(1_000);
    p = await pass(before, p.progress, 1_000);
    await clock.advance(1_000);
    p = await pass(before, p.progress, 2_000);
    expect(p.progress.records.map((r) => r.index)).toEqual([1, 2]);
    // The control plane is away for 60 s, which was not analysed; a new process has only the stored progress.
    await clock.advance(60_000);
    const stored = JSON.parse(JSON.stringify(p.progress)) as AnalysisProgress;
    const after = new CountingProvider();
    p = await pass(after, stored, 3_000);
    expect([after.begins, p.progress.records.map((r) => r.index)]).toEqual([0, [1, 2, 3]]);
    // Its window is the last second before now, not a second of the outage.
    expect(after.windows).toEqual([{ start: clock.now() - 1_000, end: clock.now() }]);
    await clock.advance(1_000);
    p = await pass(after, p.progress, 4_000);
    expect(p.result?.phase).toBe('successful');
    expect(p.result?.measurements.map((m) => m.index)).toEqual([1, 2, 3, 4]);
  });
});

describe('time watched by the watch window', () => {
  it('counts the time between passes up to what the last pass asked for plus one tick: an outage is not watched time', () => {
    const start = startWatch(1_000, { traffic: null, restarts: 0, outOfRotation: 0 });
    const asked = { ...start, nextAt: 1_500 };
    expect(credit(asked, 1_600, 500)).toEqual({ watchedMs: 600, resumed: false });
    expect(credit(asked, 61_000, 500)).toEqual({ watchedMs: 1_000, resumed: true });
    expect(credit({ ...asked, watchedMs: 2_000 }, 1_000, 500)).toEqual({ watchedMs: 2_000, resumed: false });
  });
});
