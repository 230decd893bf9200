import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Step } from '../../web/src/api/types.js';
import { levels } from '../../web/src/components/graph-layout.js';
import { parseRoute } from '../../web/src/route-parse.js';
import { trafficChips } from '../../web/src/components/traffic.js';
import { throttled } from '../../web/src/live/throttle.js';

const step = (key: string, needs: string[] = []): Step => ({ id: key.length, key, kind: 'x', name: key, service: null, environment: null, needs, state: 'pending', message: null, attempt: 1, maxAttempts: 1, cached: false, summary: null, error: null, startedAt: null, finishedAt: null, durationMs: null });

describe('the dashboard’s own logic', () => {
  it('lays the step graph out by depth: a step sits one column right of the deepest step it needs', () => {
    const columns = levels([step('scan'), step('gate:a', ['scan']), step('gate:b', ['scan']), step('build', ['gate:a', 'gate:b']), step('deploy', ['build']), step('rollback', ['deploy'])]);
    expect(columns.map((c) => c.map((s) => s.key))).toEqual([['scan'], ['gate:a', 'gate:b'], ['build'], ['deploy'], ['rollback']]);
  });

  it('survives a need that is not in the run, and a cycle, without looping', () => {
    const columns = levels([step('a', ['missing']), step('b', ['c']), step('c', ['b'])]);
    expect(columns.flat().map((s) => s.key).sort()).toEqual(['a', 'b', 'c']);
  });

  it('reads pages from the hash, and anything else as not found', () => {
    expect(parseRoute('')).toEqual({ page: 'environments' });
    expect(parseRoute('#/runs/12')).toEqual({ page: 'run', id: 12 });
    expect(parseRoute('#/runs/abc')).toMatchObject({ page: 'not-found' });
    expect(parseRoute('#/runs/-3')).toMatchObject({ page: 'not-found' });
    const runs = parseRoute('#/runs?state=failed&environment=production');
    expect(runs.page === 'runs' && runs.query.get('state')).toBe('failed');
    expect(parseRoute('#/rollback/production')).toEqual({ page: 'rollback', environment: 'production' });
    expect(parseRoute('#/backups/4')).toEqual({ page: 'backup', id: 4 });
    expect(parseRoute('#/../../etc')).toMatchObject({ page: 'not-found' });
  });
});

describe('traffic in the environments matrix', () => {
  it('names blue and green while a blue-green switch has two revisions in play', () => {
    const chips = trafficChips({ main: { '3': 100, '4': 0 }, preview: { '4': 100 } }, 'blue-green');
    expect(chips.map((c) => c.label)).toEqual(['blue r3 100%', 'preview green r4']);
    expect(chips.map((c) => c.colour)).toEqual(['blue', 'green']);
  });

  it('drops the colours once one revision has all the traffic, and for rolling deployments', () => {
    expect(trafficChips({ main: { '3': 0, '4': 100 }, preview: {} }, 'blue-green').map((c) => c.label)).toEqual(['r4 100%']);
    expect(trafficChips({ main: { '10': 50, '9': 50 }, preview: {} }, 'rolling').map((c) => c.label)).toEqual(['r9 50%', 'r10 50%']);
    expect(trafficChips({ main: {}, preview: {} }, 'rolling')).toEqual([]);
  });
});

describe('refetching after live changes', () => {
  afterEach(() => vi.useRealTimers());

  it('makes one read of a burst, and at most one a second however many changes arrive', () => {
    vi.useFakeTimers();
    let reads = 0;
    const later = throttled(() => reads++, 1_000, 100);
    for (let i = 0; i < 50; i++) later.call();
    vi.advanceTimersByTime(100);
    expect(reads).toBe(1);
    // A change every 10 ms for 3 s: about three more reads, not three hundred.
    for (let t = 0; t < 3_000; t += 10) {
      later.call();
      vi.advanceTimersByTime(10);
    }
    vi.advanceTimersByTime(1_000);
    expect(reads).toBeGreaterThanOrEqual(3);
    expect(reads).toBeLessThanOrEqual(5);
    later.call();
    later.cancel();
    vi.advanceTimersByTime(5_000);
    expect(reads).toBeLessThanOrEqual(5);
  });
});
