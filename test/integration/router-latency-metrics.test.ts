import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basePort, deployConfig, serviceFiles } from '../support/deploy-fixture.js';
import { fixtureRepo, pushChange } from '../support/fixture-repo.js';
import { TempDirs } from '../support/temp.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

/** The samples of one metric family for one environment: `name{labels} value` → [labels, value]. */
function samples(text: string, name: string, environment: string): Array<[string, number]> {
  const pattern = new RegExp(`^${name}\\{(environment="${environment}",[^}]*)\\} (\\S+)$`, 'gm');
  return [...text.matchAll(pattern)].map((m) => [m[1] ?? '', Number(m[2])]);
}

describe('the router latency histogram of a real agent on /metrics', () => {
  const temp = new TempDirs();
  const port = basePort();
  const config = deployConfig({ port });
  let t: TestServer;

  beforeAll(async () => {
    const root = await temp.make();
    const repo = await fixtureRepo(root, { 'gantry.yaml': config, ...serviceFiles('v1') });
    t = await startTestServer(root, repo, config);
    await pushChange(repo, 'develop', serviceFiles('v2'), 'v2', 'develop');
    const dev = await t.finished((await t.runFor('develop')).id, 90_000);
    expect(dev.run.state, JSON.stringify(dev.run.error)).toBe('succeeded');
  }, 120_000);
  afterAll(async () => {
    await t?.server.close({ stopAgents: true });
    await temp.cleanup();
  });

  const metrics = async (): Promise<string> => {
    const res = await t.server.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${t.token}` } });
    expect(res.statusCode).toBe(200);
    return res.body;
  };

  it('counts every request sent through the router, with buckets, sum and count per revision', async () => {
    const before = await metrics();
    const countBefore = samples(before, 'gantry_router_request_duration_seconds_count', 'dev');
    expect(countBefore).toHaveLength(1);
    const [labels, sentBefore] = countBefore[0] ?? ['', 0];
    expect(labels).toMatch(/^environment="dev",service="api",revision="\d+"$/);

    const SENT = 25;
    for (let i = 0; i < SENT; i++) {
      const res = await fetch(`http://127.0.0.1:${port}/`);
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    }

    const after = await metrics();
    expect(after).toContain('# TYPE gantry_router_request_duration_seconds histogram');
    const count = samples(after, 'gantry_router_request_duration_seconds_count', 'dev');
    expect(count).toEqual([[labels, sentBefore + SENT]]);
    // The +Inf bucket holds every request; the buckets only grow with le (cumulative), in seconds.
    const buckets = samples(after, 'gantry_router_request_duration_seconds_bucket', 'dev').map(([l, v]) => [/le="([^"]+)"/.exec(l)?.[1], v] as const);
    expect(buckets.map(([le]) => le)).toEqual(['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '+Inf']);
    expect(buckets.at(-1)?.[1]).toBe(sentBefore + SENT);
    expect(buckets.every(([, v], i) => i === 0 || v >= (buckets[i - 1]?.[1] ?? 0))).toBe(true);
    // The sum (seconds) grew by the time those requests took in the router.
    const [sumBefore, sumAfter] = [before, after].map((text) => samples(text, 'gantry_router_request_duration_seconds_sum', 'dev')[0]?.[1] ?? NaN);
    expect(sumAfter).toBeGreaterThan(sumBefore ?? NaN);
    // The same requests, as the router's request counter sees them.
    const delivered = samples(after, 'gantry_router_requests_total', 'dev').reduce((n, [, v]) => n + v, 0);
    expect(delivered).toBe(sentBefore + SENT);
  });
});
