import { describe, expect, it } from 'vitest';
import { HealthCounters } from '../../src/agent/supervisor/health-counters.js';
import { parseConfigText } from '../../src/config/loader.js';
import type { HealthProbe } from '../../src/targets/target.js';

const probe = (over: Partial<HealthProbe> = {}): HealthProbe => ({ path: '/healthz', expectStatus: 200, intervalMs: 100, timeoutMs: 500, ...over });

describe('readiness and liveness counting', () => {
  it('makes a starting replica ready on its first pass, and takes it out after failureThreshold failures in a row', () => {
    const c = new HealthCounters(probe({ readiness: { failureThreshold: 3, successThreshold: 1 } }), 9);
    expect(c.onReadiness(false, 'starting')).toBeUndefined();
    expect(c.onReadiness(true, 'starting')).toBe('ready');
    expect(c.onReadiness(false, 'ready')).toBeUndefined();
    expect(c.onReadiness(false, 'ready')).toBeUndefined();
    // A pass in between starts the count again.
    expect(c.onReadiness(true, 'ready')).toBeUndefined();
    expect([c.onReadiness(false, 'ready'), c.onReadiness(false, 'ready'), c.onReadiness(false, 'ready')]).toEqual([undefined, undefined, 'unready']);
  });

  it('puts a replica back only after successThreshold passes in a row', () => {
    const c = new HealthCounters(probe({ readiness: { failureThreshold: 1, successThreshold: 2 } }), 9);
    c.onReadiness(true, 'starting');
    expect(c.onReadiness(false, 'ready')).toBe('unready');
    expect(c.onReadiness(true, 'unready')).toBeUndefined();
    expect(c.onReadiness(false, 'unready')).toBeUndefined();
    expect(c.onReadiness(true, 'unready')).toBeUndefined();
    expect(c.onReadiness(true, 'unready')).toBe('ready');
  });

  it('uses the supervisor default when the probe names no readiness', () => {
    const c = new HealthCounters(probe(), 2);
    c.onReadiness(true, 'starting');
    expect([c.onReadiness(false, 'ready'), c.onReadiness(false, 'ready')]).toEqual([undefined, 'unready']);
  });

  it('counts liveness only once the replica has been ready, and asks for a restart at the threshold', () => {
    const c = new HealthCounters(probe({ liveness: { path: '/healthz', failureThreshold: 2 } }), 3);
    expect(c.onLiveness(false)).toBeUndefined();
    expect(c.onLiveness(false)).toBeUndefined();
    c.onReadiness(true, 'starting');
    expect(c.onLiveness(false)).toBeUndefined();
    expect(c.onLiveness(true)).toBeUndefined();
    expect([c.onLiveness(false), c.onLiveness(false)]).toEqual([undefined, 'restart']);
    // A new run of the process starts from nothing, not yet ready.
    c.reset();
    expect(c.onLiveness(false)).toBeUndefined();
    expect(c.onLiveness(false)).toBeUndefined();
  });

  it('never restarts with a liveness threshold of 0 or none, and probes liveness apart only on another path', () => {
    for (const c of [new HealthCounters(probe({ liveness: { path: '/healthz', failureThreshold: 0 } }), 3), new HealthCounters(probe(), 3)]) {
      c.onReadiness(true, 'starting');
      expect(Array.from({ length: 50 }, () => c.onLiveness(false))).not.toContain('restart');
      expect(c.separateLiveness).toBe(false);
    }
    expect(new HealthCounters(probe({ liveness: { path: '/livez', failureThreshold: 3 } }), 3).separateLiveness).toBe(true);
    expect(new HealthCounters(probe({ liveness: { path: '/healthz', failureThreshold: 3 } }), 3).separateLiveness).toBe(false);
  });
});

describe('readiness and liveness in gantry.yaml', () => {
  const health = (block: string) => {
    const parsed = parseConfigText(`version: 1\nproject: { name: p }\nrepository: { url: . }\nservices:\n  api:\n    path: api\n    run: { command: node s.js, port: 4100 }\n${block}environments:\n  dev: { branch: develop }\n`, 'gantry.yaml');
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    return parsed.config.services['api']?.health;
  };

  it('defaults to Kubernetes-like thresholds: out after 3 failures, back after 1 pass, restarted after 30 s of failures', () => {
    expect(health('')).toMatchObject({ intervalMs: 1_000, readiness: { failureThreshold: 3, successThreshold: 1 }, liveness: { path: '/healthz', failureThreshold: 30 } });
    expect(health('    health: { path: /ready, interval: 100ms }\n')).toMatchObject({ liveness: { path: '/ready', failureThreshold: 300 } });
  });

  it('takes what the service sets, 0 turning restarts off', () => {
    expect(health('    health: { readiness: { failureThreshold: 2, successThreshold: 4 }, liveness: { path: /livez, failureThreshold: 0 } }\n')).toMatchObject({
      readiness: { failureThreshold: 2, successThreshold: 4 },
      liveness: { path: '/livez', failureThreshold: 0 },
    });
  });
});
