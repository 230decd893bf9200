import { describe, expect, it } from 'vitest';
import { mergeServices, mergeTraffic } from '../../src/targets/docker/merge-status.js';
import type { RevisionPhase, RevisionStatus, RevisionTraffic, ServiceStatus } from '../../src/targets/target.js';

const revision = (n: number, phase: RevisionPhase, extra: Partial<RevisionStatus> = {}): RevisionStatus => ({
  revision: n,
  release: `rel${n}`,
  digest: `sha256:${String(n).repeat(64).slice(0, 64)}`,
  phase,
  restarts: 0,
  ports: [],
  lastError: null,
  readyReplicas: phase === 'ready' ? 1 : 0,
  ...extra,
});

const service = (revisions: RevisionStatus[], weights: Record<string, number> = {}): ServiceStatus => ({
  environment: 'production',
  service: 'api',
  port: 8080,
  revisions,
  weights: { main: weights, preview: {} },
});

const merged = (...hosts: ServiceStatus[][]): ServiceStatus | undefined => mergeServices(hosts.map((value, i) => ({ host: `host-${i + 1}`, value })))[0];

describe('a docker target over several hosts describes one service', () => {
  it('reports a revision ready only when every host has it ready, summing replicas', () => {
    const both = merged([service([revision(1, 'ready')])], [service([revision(1, 'ready', { restarts: 2 })])]);
    expect(both?.revisions[0]).toMatchObject({ phase: 'ready', readyReplicas: 2, restarts: 2 });
    const oneMissing = merged([service([revision(1, 'ready')])], [service([])]);
    expect(oneMissing?.revisions[0]?.phase).toBe('starting');
  });

  it('takes the worst phase of the hosts that run it, and names each host in lastError', () => {
    const s = merged([service([revision(2, 'ready')])], [service([revision(2, 'crash-loop', { lastError: 'exited with code 3' })])], [service([])]);
    expect(s?.revisions[0]).toMatchObject({ phase: 'crash-loop', lastError: 'host-2: exited with code 3', readyReplicas: 1 });
  });

  it('is stopped only when no host runs it, so a rollback still stops it wherever it runs', () => {
    expect(merged([service([revision(3, 'stopped')])], [service([revision(3, 'stopped')])])?.revisions[0]?.phase).toBe('stopped');
    expect(merged([service([revision(3, 'stopped')])], [service([revision(3, 'ready')])])?.revisions[0]?.phase).toBe('starting');
    expect(merged([service([revision(3, 'stopping')])], [service([])])?.revisions[0]?.phase).toBe('stopping');
  });

  it('keeps the first host\'s routes and weights, and every revision any host knows, in order', () => {
    const s = merged([service([revision(2, 'ready')], { '2': 100 })], [service([revision(1, 'ready'), revision(2, 'ready')], { '1': 100 })]);
    expect(s?.weights.main).toEqual({ '2': 100 });
    expect(s?.revisions.map((r) => r.revision)).toEqual([1, 2]);
  });
});

describe('a docker target over several hosts counts traffic', () => {
  const traffic = (n: number, requests: number, buckets: Record<string, number>): RevisionTraffic => ({ revision: n, requests, errors: 1, status: { '2xx': requests - 1, '3xx': 0, '4xx': 0, '5xx': 1 }, latencyBuckets: buckets });

  it('sums each revision\'s counters and latency buckets over the hosts', () => {
    const sum = mergeTraffic([[traffic(1, 10, { '50': 4, '100': 10 })], [traffic(1, 5, { '50': 5, '250': 5 }), traffic(2, 3, { '50': 3 })]]);
    expect(sum).toEqual([
      { revision: 1, requests: 15, errors: 2, status: { '2xx': 13, '3xx': 0, '4xx': 0, '5xx': 2 }, latencyBuckets: { '50': 9, '100': 10, '250': 5 } },
      traffic(2, 3, { '50': 3 }),
    ]);
  });
});
