import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  changeFailureBand,
  computeDora,
  DAY_MS,
  frequencyBand,
  HOUR_MS,
  leadTimeBand,
  MONTH_MS,
  parseWindow,
  quantile,
  recoveryBand,
  WEEK_MS,
  type DoraDeployment,
  type DoraDeploymentState,
  type DoraMetrics,
} from '../../src/domain/dora/index.js';

const NOW = Date.UTC(2026, 10, 26, 12);
const MIN = 60_000;
const WINDOW = 30 * DAY_MS;

/** Fixture builder: a succeeded production deployment of `api`, created `daysAgo` before NOW, that took 5 minutes. */
function deployment(over: Partial<DoraDeployment> & { daysAgo?: number } = {}): DoraDeployment {
  const { daysAgo = 1, ...rest } = over;
  const createdAt = rest.createdAt ?? NOW - daysAgo * DAY_MS;
  const state = rest.state ?? 'succeeded';
  return {
    service: 'api',
    environment: 'production',
    revision: 1,
    release: `sha-${rest.revision ?? 1}`,
    state,
    createdAt,
    finishedAt: state === 'pending' || state === 'switched' ? null : createdAt + 5 * MIN,
    commitTime: createdAt - HOUR_MS,
    reason: null,
    ref: 'main',
    ...rest,
  };
}

/** A service's history: revisions numbered 1… in order, each a day after the one before, ending `endDaysAgo` before NOW. */
function history(service: string, states: readonly (DoraDeploymentState | Partial<DoraDeployment>)[], endDaysAgo = 1): DoraDeployment[] {
  return states.map((s, i) => {
    const over = typeof s === 'string' ? { state: s } : s;
    return deployment({ service, revision: i + 1, release: `${service}-${i + 1}`, daysAgo: endDaysAgo + (states.length - 1 - i), ...over });
  });
}

const dora = (records: readonly DoraDeployment[], services?: string[]) => computeDora(records, { environment: 'production', now: NOW, windowMs: WINDOW, ...(services ? { services } : {}) });

describe('DORA deployment frequency', () => {
  it('counts successful production deployments per day, per week and per 30-day month', () => {
    const records = [...history('api', Array(15).fill('succeeded')), deployment({ revision: 99, state: 'failed', daysAgo: 2 })];
    const f = dora(records).overall.deploymentFrequency;
    expect(f.count).toBe(15);
    expect(f.perDay).toBeCloseTo(0.5);
    expect(f.perWeek).toBeCloseTo(3.5);
    expect(f.perMonth).toBeCloseTo(15);
    expect(f.band).toBe('high');
  });

  it('reports zero (low) when the window holds only failed deployments', () => {
    const f = dora(history('api', ['failed', 'rolled-back'])).overall.deploymentFrequency;
    expect(f).toMatchObject({ count: 0, perDay: 0, band: 'low' });
  });

  it('ignores deployments of other environments and before the window', () => {
    const records = [deployment({ environment: 'staging' }), deployment({ revision: 2, daysAgo: 31 }), deployment({ revision: 3, daysAgo: 29 })];
    expect(dora(records).overall.deploymentFrequency.count).toBe(1);
  });
});

describe('DORA lead time for changes', () => {
  it('gives the median and p90 from commit to the successful deployment finishing', () => {
    const hours = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    const records = hours.map((h, i) => deployment({ revision: i + 1, release: `r${i}`, daysAgo: 2, commitTime: NOW - 2 * DAY_MS + 5 * MIN - h * HOUR_MS }));
    const lt = dora(records).overall.leadTime;
    expect(lt.samples).toBe(10);
    expect(lt.medianMs).toBe(5.5 * HOUR_MS);
    expect(lt.p90Ms).toBeCloseTo(9.1 * HOUR_MS);
    expect(lt.band).toBe('elite');
  });

  it('measures a release once, at its first successful deployment, and never a manual rollback', () => {
    const records = [
      deployment({ revision: 1, release: 'a', daysAgo: 10, commitTime: NOW - 12 * DAY_MS }),
      deployment({ revision: 2, release: 'b', daysAgo: 5, commitTime: NOW - 5 * DAY_MS - HOUR_MS }),
      deployment({ revision: 3, release: 'a', daysAgo: 4, commitTime: NOW - 12 * DAY_MS }),
      deployment({ revision: 4, release: 'a', daysAgo: 3, commitTime: NOW - 12 * DAY_MS, reason: 'rollback to r1: bad' }),
    ];
    const lt = dora(records).overall.leadTime;
    expect(lt.samples).toBe(2);
    expect(lt.medianMs).toBe((2 * DAY_MS + 5 * MIN + HOUR_MS + 5 * MIN) / 2);
  });

  it('skips deployments without a commit time and counts a commit time after the deployment as zero', () => {
    const records = [deployment({ revision: 1, commitTime: null }), deployment({ revision: 2, release: 'x', commitTime: NOW + DAY_MS })];
    expect(dora(records).overall.leadTime).toMatchObject({ samples: 1, medianMs: 0, p90Ms: 0 });
  });
});

describe('DORA change failure rate', () => {
  it('counts failed and rolled-back deployments over all finished ones, leaving in-flight ones out', () => {
    const cfr = dora(history('api', ['succeeded', 'failed', 'succeeded', 'rolled-back', 'pending'])).overall.changeFailureRate;
    expect(cfr).toEqual({ rate: 0.5, count: 2, total: 4, band: 'low' });
  });

  it('counts every succeeded revision a later manual rollback reverted', () => {
    const cfr = dora(history('api', ['succeeded', 'succeeded', 'succeeded', { state: 'succeeded', reason: 'rollback to r1: errors' }])).overall.changeFailureRate;
    expect(cfr).toMatchObject({ count: 2, total: 4, rate: 0.5 });
  });

  it('counts the revision that was live when a hotfix went out, by ref or by the caller saying so', () => {
    const byRef = dora(history('api', ['succeeded', 'succeeded', { state: 'succeeded', ref: 'hotfix/login' }])).overall.changeFailureRate;
    expect(byRef).toMatchObject({ count: 1, total: 3 });
    const byFlag = dora(history('api', ['succeeded', { state: 'succeeded', ref: 'main', hotfix: true }])).overall.changeFailureRate;
    expect(byFlag).toMatchObject({ count: 1, total: 2 });
    const denied = dora(history('api', ['succeeded', { state: 'succeeded', ref: 'hotfix/x', hotfix: false }])).overall.changeFailureRate;
    expect(denied).toMatchObject({ count: 0, total: 2 });
  });

  it('is null with no finished deployment', () => {
    expect(dora(history('api', ['pending'])).overall.changeFailureRate).toEqual({ rate: null, count: 0, total: 0, band: null });
  });
});

describe('DORA failed deployment recovery time', () => {
  it('runs from the failed deployment start to the next succeeded deployment of the service finishing', () => {
    const records = [
      deployment({ revision: 1, state: 'failed', createdAt: NOW - 3 * DAY_MS }),
      deployment({ revision: 2, state: 'rolled-back', createdAt: NOW - 2 * DAY_MS }),
      deployment({ revision: 3, state: 'succeeded', createdAt: NOW - 2 * DAY_MS + HOUR_MS }),
    ];
    const rt = dora(records).overall.recoveryTime;
    // r1: 1 day + 1 h + 5 min; r2: 1 h + 5 min.
    expect(rt.samples).toBe(2);
    expect(rt.medianMs).toBe((DAY_MS + 2 * (HOUR_MS + 5 * MIN)) / 2);
    expect(rt.band).toBe('high');
  });

  it('counts failures with no later success as unrecovered and leaves them out of the median', () => {
    const rt = dora(history('api', ['succeeded', 'failed'])).overall.recoveryTime;
    expect(rt).toEqual({ medianMs: null, samples: 0, unrecovered: 1, band: null });
  });

  it('never takes another service success as recovery', () => {
    const records = [...history('api', ['failed'], 3), ...history('web', ['succeeded'], 1)];
    expect(dora(records).overall.recoveryTime).toMatchObject({ samples: 0, unrecovered: 1 });
  });
});

describe('DORA deployment rework rate and success rate', () => {
  it('counts manual rollbacks, hotfixes and automatic rollbacks as unplanned deployments', () => {
    const records = history('api', ['succeeded', 'rolled-back', { state: 'succeeded', ref: 'hotfix/a' }, { state: 'succeeded', reason: 'rollback to r1: x' }, 'succeeded']);
    const m = dora(records).overall;
    // 5 deployments + the automatic rollback of r2 = 6 events; unplanned: r2's rollback, r3 (hotfix), r4 (manual rollback).
    expect(m.reworkRate).toEqual({ rate: 0.5, count: 3, total: 6, band: null });
    expect(m.successRate).toEqual({ rate: 0.8, count: 4, total: 5, band: null });
  });
});

describe('DORA performance bands (2023 report)', () => {
  it.each([
    [2, 'elite'],
    [1.0001, 'elite'],
    [1, 'high'],
    [1 / 7, 'high'],
    [1 / 7 - 1e-9, 'medium'],
    [1 / 30, 'medium'],
    [1 / 30 - 1e-9, 'low'],
    [0, 'low'],
  ] as const)('rates %f deployments a day as %s', (perDay, band) => expect(frequencyBand(perDay)).toBe(band));

  it.each([
    [DAY_MS - 1, 'elite'],
    [DAY_MS, 'high'],
    [WEEK_MS - 1, 'high'],
    [WEEK_MS, 'medium'],
    [MONTH_MS - 1, 'medium'],
    [MONTH_MS, 'low'],
  ] as const)('rates a median lead time of %i ms as %s', (ms, band) => expect(leadTimeBand(ms)).toBe(band));

  it.each([
    [0, 'elite'],
    [0.05, 'elite'],
    [0.075, 'elite'],
    [0.0751, 'high'],
    [0.1, 'high'],
    [0.125, 'high'],
    [0.1251, 'medium'],
    [0.15, 'medium'],
    // 16 % is far nearer medium's 15 % than low's 64 %: it was "low" when 15 % was read as medium's upper bound.
    [0.16, 'medium'],
    [0.395, 'medium'],
    [0.3951, 'low'],
    [0.64, 'low'],
    [1, 'low'],
  ] as const)('rates a change failure rate of %f as the level whose 2023 typical rate is nearest: %s', (rate, band) => expect(changeFailureBand(rate)).toBe(band));

  it.each([
    [HOUR_MS - 1, 'elite'],
    [HOUR_MS, 'high'],
    [DAY_MS - 1, 'high'],
    [DAY_MS, 'medium'],
    [WEEK_MS - 1, 'medium'],
    [WEEK_MS, 'low'],
  ] as const)('rates a median recovery time of %i ms as %s', (ms, band) => expect(recoveryBand(ms)).toBe(band));

  it('gives no band without a figure', () => {
    expect([frequencyBand(null), leadTimeBand(null), changeFailureBand(null), recoveryBand(null)]).toEqual([null, null, null, null]);
  });
});

describe('DORA per service and overall', () => {
  it('computes each service alone and pools every service for the overall figures', () => {
    const records = [...history('api', ['succeeded', 'failed', 'succeeded']), ...history('web', ['succeeded', 'succeeded'])];
    const report = dora(records, ['api', 'web', 'worker']);
    expect(Object.keys(report.services)).toEqual(['api', 'web', 'worker']);
    expect(report.services.api?.changeFailureRate).toMatchObject({ count: 1, total: 3 });
    expect(report.services.web?.changeFailureRate).toMatchObject({ count: 0, total: 2, rate: 0, band: 'elite' });
    expect(report.overall.changeFailureRate).toMatchObject({ count: 1, total: 5, rate: 0.2 });
    expect(report.overall.deploymentFrequency.count).toBe(4);
    expect(report.overall.leadTime.samples).toBe(4);
    expect(report.services.worker?.deployments).toBe(0);
  });

  it('gives nulls, never NaN, for an empty window', () => {
    const report = dora([], ['api']);
    const empty: DoraMetrics = {
      deployments: 0,
      deploymentFrequency: { count: 0, perDay: null, perWeek: null, perMonth: null, band: null },
      leadTime: { medianMs: null, p90Ms: null, samples: 0, band: null },
      changeFailureRate: { rate: null, count: 0, total: 0, band: null },
      recoveryTime: { medianMs: null, samples: 0, unrecovered: 0, band: null },
      reworkRate: { rate: null, count: 0, total: 0, band: null },
      successRate: { rate: null, count: 0, total: 0, band: null },
    };
    expect(report.overall).toEqual(empty);
    expect(report.services.api).toEqual(empty);
    expect(report.window).toEqual({ start: NOW - WINDOW, end: NOW });
  });
});

describe('DORA helpers', () => {
  it('reads windows in hours, days and weeks and refuses anything else', () => {
    expect(parseWindow('30d')).toBe(30 * DAY_MS);
    expect(parseWindow('12h')).toBe(12 * HOUR_MS);
    expect(parseWindow('4w')).toBe(4 * WEEK_MS);
    for (const bad of ['', '0d', '30', 'd', '-1d', '1.5d', '30 d', '4000d', '1y']) expect(parseWindow(bad), bad).toBeUndefined();
  });

  it('interpolates quantiles and has none for no values', () => {
    expect(quantile([], 0.5)).toBeNull();
    expect(quantile([7], 0.9)).toBe(7);
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
  });
});

const STATES: DoraDeploymentState[] = ['pending', 'switched', 'succeeded', 'rolled-back', 'failed'];
const arbitraryRecords = fc
  .array(
    fc.record({
      service: fc.constantFrom('api', 'web', 'worker'),
      environment: fc.constantFrom('production', 'production', 'staging'),
      state: fc.constantFrom(...STATES),
      ageMs: fc.integer({ min: 0, max: 40 * DAY_MS }),
      tookMs: fc.integer({ min: 0, max: 2 * DAY_MS }),
      commitAgeMs: fc.option(fc.integer({ min: -DAY_MS, max: 60 * DAY_MS }), { nil: null }),
      release: fc.constantFrom('a', 'b', 'c', 'd', 'e'),
      rollbackTo: fc.option(fc.integer({ min: 0, max: 30 }), { nil: null }),
      ref: fc.option(fc.constantFrom('main', 'hotfix/x', 'refs/heads/hotfix/y', 'feature/z'), { nil: null }),
    }),
    { maxLength: 60 },
  )
  .map((rows) =>
    rows.map((r, i): DoraDeployment => {
      const createdAt = NOW - r.ageMs;
      const finished = r.state !== 'pending' && r.state !== 'switched';
      return {
        service: r.service,
        environment: r.environment,
        revision: i + 1,
        release: r.release,
        state: r.state,
        createdAt,
        finishedAt: finished ? createdAt + r.tookMs : null,
        commitTime: r.commitAgeMs === null ? null : createdAt - r.commitAgeMs,
        reason: r.rollbackTo === null ? null : `rollback to r${r.rollbackTo}: test`,
        ref: r.ref,
      };
    }),
  );

describe('DORA invariants', () => {
  it('keeps rates in [0, 1], p90 at or above the median, no NaN, and counts that add up across services', () => {
    fc.assert(
      fc.property(arbitraryRecords, (records) => {
        const report = dora(records);
        expect(JSON.stringify(report)).not.toMatch(/NaN|Infinity/);
        for (const m of [report.overall, ...Object.values(report.services)]) {
          for (const r of [m.changeFailureRate, m.reworkRate, m.successRate]) {
            if (r.rate === null) {
              expect(r.total).toBe(0);
            } else {
              expect(r.rate).toBeGreaterThanOrEqual(0);
              expect(r.rate).toBeLessThanOrEqual(1);
            }
          }
          if (m.leadTime.medianMs !== null) {
            expect(m.leadTime.medianMs).toBeGreaterThanOrEqual(0);
            expect(m.leadTime.p90Ms).toBeGreaterThanOrEqual(m.leadTime.medianMs);
          }
          if (m.recoveryTime.medianMs !== null) expect(m.recoveryTime.medianMs).toBeGreaterThanOrEqual(0);
        }
        const services = Object.values(report.services);
        const sum = (pick: (m: DoraMetrics) => number) => services.reduce((s, m) => s + pick(m), 0);
        expect(report.overall.deployments).toBe(sum((m) => m.deployments));
        expect(report.overall.changeFailureRate.count).toBe(sum((m) => m.changeFailureRate.count));
        expect(report.overall.deploymentFrequency.count).toBe(sum((m) => m.deploymentFrequency.count));
        expect(report.overall.leadTime.samples).toBe(sum((m) => m.leadTime.samples));
        expect(report.overall.recoveryTime.samples + report.overall.recoveryTime.unrecovered).toBe(sum((m) => m.recoveryTime.samples + m.recoveryTime.unrecovered));
      }),
      { numRuns: 300 },
    );
  });
});
