import { describe, expect, it } from 'vitest';
import type { Step } from '../../web/src/api/types.js';
import { levels } from '../../web/src/components/graph-layout.js';
import { parseRoute } from '../../web/src/route-parse.js';

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
