import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { computeDora, computeDoraSeries, DAY_MS, HOUR_MS, WEEK_MS, type DoraDeployment } from '../../src/domain/dora/index.js';

const NOW = Date.UTC(2026, 10, 26, 12);
const input = (windowMs: number) => ({ environment: 'production', now: NOW, windowMs, services: ['api'] });

function deployment(revision: number, daysAgo: number, state: DoraDeployment['state'] = 'succeeded', over: Partial<DoraDeployment> = {}): DoraDeployment {
  const createdAt = NOW - daysAgo * DAY_MS;
  return { service: 'api', environment: 'production', revision, release: `sha-${revision}`, state, createdAt, finishedAt: createdAt + 60_000, commitTime: createdAt - HOUR_MS, reason: null, ref: 'main', ...over };
}

describe('DORA series (the dashboard charts)', () => {
  it('cuts the window into day buckets, oldest first, the last ending now', () => {
    const series = computeDoraSeries([deployment(1, 6.5), deployment(2, 0.25), deployment(3, 0.2)], input(7 * DAY_MS), DAY_MS);
    expect(series).toHaveLength(7);
    expect(series[0]?.start).toBe(NOW - 7 * DAY_MS);
    expect(series.at(-1)?.end).toBe(NOW);
    expect(series.map((b) => b.metrics.deploymentFrequency.count)).toEqual([1, 0, 0, 0, 0, 0, 2]);
    expect(series.at(-1)?.metrics.leadTime.medianMs).toBeCloseTo(HOUR_MS + 60_000, -3);
  });

  it('counts a change that a later bucket reverted as failed in its own bucket', () => {
    // r2 goes out on day -3; a manual rollback to r1 on day -1 says r2 was a failed change.
    const records = [deployment(1, 5), deployment(2, 3), deployment(3, 1, 'succeeded', { release: 'sha-1', reason: 'rollback to r1: checkout broke' })];
    const series = computeDoraSeries(records, input(6 * DAY_MS), DAY_MS);
    const day = (daysAgo: number) => series.find((b) => b.start <= NOW - daysAgo * DAY_MS && NOW - daysAgo * DAY_MS <= b.end);
    expect(day(3)?.metrics.changeFailureRate.count).toBe(1);
    expect(day(5)?.metrics.changeFailureRate.count).toBe(0);
  });

  it('never counts a deployment in two buckets, and the buckets add up to the whole window', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 27.99, noNaN: true }), { maxLength: 40 }), (ages) => {
        const records = ages.map((a, i) => deployment(i + 1, a));
        const series = computeDoraSeries(records, input(4 * WEEK_MS), DAY_MS);
        const total = computeDora(records, input(4 * WEEK_MS)).overall.deploymentFrequency.count;
        expect(series.reduce((n, b) => n + b.metrics.deploymentFrequency.count, 0)).toBe(total);
      }),
      { numRuns: 100 },
    );
  });
});
