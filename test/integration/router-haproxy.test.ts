import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/loader.js';
import { systemClock } from '../../src/kernel/clock.js';
import { value, type MetricQuery } from '../../src/metrics/provider.js';
import { RouterProvider } from '../../src/metrics/providers/router-provider.js';
import { TargetError } from '../../src/errors/index.js';
import { parseServersState } from '../../src/targets/routers/haproxy/haproxy-state.js';
import { RuntimeApi } from '../../src/targets/routers/haproxy/runtime-api.js';
import { RoutedTargets } from '../../src/targets/routers/routed-targets.js';
import type { RevisionSpec } from '../../src/targets/target.js';
import { freePort } from '../support/free-port.js';
import { startHaproxy, type HaproxyProcess } from '../support/haproxy.js';
import { routerConfig, routerSubject } from '../support/router-fixture.js';
import { routerSuite, type RouterSubject } from '../support/router-suite.js';
import { TempDirs, until } from '../support/temp.js';

/**
 * The `haproxy` router against the router suite: a real HAProxy (Debian's) started on 127.0.0.1
 * with the config docs/routers.md tells users to write, driven by Gantry through its runtime API
 * only, in front of a real `gantry agent` (run the server build first).
 */
const temp = new TempDirs();
let haproxy: HaproxyProcess | undefined;
afterAll(async () => {
  await haproxy?.stop();
  await temp.cleanup();
});

routerSuite('haproxy (runtime API)', async () => {
  haproxy = await startHaproxy(temp, 'dev_web');
  const yaml = `\n      kind: haproxy\n      runtimeApi: ${haproxy.runtimeApi}\n      url: ${haproxy.url}\n`;
  return routerSubject(temp, routerConfig(await freePort(), yaml), () => haproxy?.stop() ?? Promise.resolve());
});

/** What the haproxy router does beyond the suite, through the same Target contract, checked against HAProxy's own view. */
describe('haproxy router: match backend, replicas, stopped revisions, refusals', () => {
  let s!: RouterSubject;
  let proxy!: HaproxyProcess;
  let url = '';
  const servers = async (backend: string): Promise<string[]> =>
    parseServersState(await new RuntimeApi(proxy.runtimeApi, 'the test').query([`show servers state ${backend}`]))
      .map((x) => `${x.name}=${x.weight}`)
      .sort();
  const ready = (revisions: number[]) =>
    until(`revisions ${revisions.join(', ')} ready`, async () => {
      const status = (await s.target.describe(s.environment)).find((x) => x.service === s.service);
      return revisions.every((r) => status?.revisions.find((x) => x.revision === r)?.phase === 'ready');
    }, 30_000);
  const route = async (weights: Record<string, number>): Promise<void> => {
    await s.target.setWeights(s.environment, s.service, 'main', weights);
    await until('weights applied', async () => (await s.target.verifyWeights(s.environment, s.service, 'main', weights)).applied, 10_000);
  };
  const answers = async (n: number, headers: Record<string, string> = {}): Promise<Record<string, number>> => {
    const seen: Record<string, number> = {};
    for (let i = 0; i < n; i++) {
      const res = await fetch(url, { headers });
      const body = await res.text();
      const key = res.status === 200 ? body : String(res.status);
      seen[key] = (seen[key] ?? 0) + 1;
    }
    return seen;
  };

  beforeAll(async () => {
    proxy = await startHaproxy(temp, 'dev_web', 'dev_web_match');
    const yaml = `\n      kind: haproxy\n      runtimeApi: ${proxy.runtimeApi}\n      url: ${proxy.url}\n      matchBackend: '{environment}_{service}_match'\n`;
    s = await routerSubject(temp, routerConfig(await freePort(), yaml), () => proxy.stop());
    const spec = (revision: number, replicas: number): RevisionSpec => ({
      environment: 'dev',
      service: 'web',
      revision,
      release: `r${revision}`,
      artifact: s.artifact,
      command: s.command,
      env: { ROUTER_REVISION: String(revision) },
      secretKeys: [],
      replicas,
      health: { path: '/healthz', expectStatus: 200, intervalMs: 100, timeoutMs: 1_000 },
    });
    await s.target.startRevision(spec(1, 1));
    await s.target.startRevision(spec(2, 1));
    await s.target.startRevision(spec(3, 2));
    await ready([1, 2, 3]);
    await route({ '1': 100 });
    url = await s.target.url('dev', 'web', 'main');
  }, 60_000);

  afterAll(async () => {
    await s?.close();
  }, 30_000);

  it('sends requests with the tester header to the match revision, the others by weight, and reports the match', async () => {
    expect(s.target.capabilities()).toMatchObject({ weightedRouting: true, headerRouting: true });
    const match = { header: 'x-canary', value: 'always', revision: 2 };
    await s.target.setMatch?.('dev', 'web', match);
    expect(await answers(20, { 'x-canary': 'always' })).toEqual({ '2': 20 });
    expect(await answers(20)).toEqual({ '1': 20 });
    expect((await s.target.describe('dev'))[0]?.match).toEqual(match);
    await s.target.setMatch?.('dev', 'web', null);
    // The frontend's ACL (docs/routers.md) sends the header to the match backend only while it has a server.
    expect(await answers(20, { 'x-canary': 'always' })).toEqual({ '1': 20 });
    expect((await s.target.describe('dev'))[0]?.match).toBeUndefined();
    expect(await servers('dev_web_match')).toEqual([]);
  }, 60_000);

  it("splits a revision's share over its replicas, one server each", async () => {
    await route({ '1': 50, '3': 50 });
    expect(await servers('dev_web')).toEqual(['r1-1=100', 'r2-1=0', 'r3-1=50', 'r3-2=50']);
    const seen = await answers(400);
    expect(seen['3'] ?? 0).toBeGreaterThanOrEqual(180);
    expect(seen['3'] ?? 0).toBeLessThanOrEqual(220);
  }, 60_000);

  it("removes a stopped revision's servers from HAProxy", async () => {
    await route({ '3': 100 });
    await s.target.stopRevision('dev', 'web', 2);
    await route({ '3': 100 });
    expect(await servers('dev_web')).toEqual(['r1-1=0', 'r3-1=100', 'r3-2=100']);
  }, 60_000);

  it("counts each revision's requests from HAProxy's stats, and the router provider's p99 is no data, not 0", async () => {
    await route({ '3': 100 });
    const provider = new RouterProvider(async () => s.traffic.traffic('dev', 'web'), systemClock);
    const signal = new AbortController().signal;
    const start = Date.now();
    await provider.begin(signal);
    const seen = await answers(100);
    const window = { start, end: Date.now() };
    const query = (text: string, revision: number): MetricQuery => ({ metric: text, text, environment: 'dev', service: 'web', revision, role: 'candidate' });
    expect(await provider.measure(query('error-rate', 3), window, signal)).toEqual(value(0));
    expect(await provider.measure(query('p99-latency-ms', 3), window, signal)).toMatchObject({ kind: 'no-data', reason: expect.stringContaining('no latency histogram') });
    const counted = (await s.traffic.traffic('dev', 'web')).find((t) => t.revision === 3);
    expect(counted?.latencyBuckets).toEqual({});
    expect(counted?.status['2xx']).toBeGreaterThanOrEqual(seen['3'] ?? 0);
  }, 60_000);

  it('refuses a weight for a revision that has no running replica, changing nothing', async () => {
    const refused = await s.target.setWeights('dev', 'web', 'main', { '9': 100 }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(TargetError);
    expect((refused as TargetError).code).toBe('TARGET_ERROR');
    expect((refused as TargetError).message).toMatch(/revision 9 has no running replica/);
    expect(await servers('dev_web')).toEqual(['r1-1=0', 'r3-1=100', 'r3-2=100']);
  });

  it('reports an unreachable runtime API as ROUTER_UNREACHABLE naming the environment and the address', async () => {
    const closed = `127.0.0.1:${await freePort()}`;
    const config = parseConfigText(routerConfig(await freePort(), `\n      kind: haproxy\n      runtimeApi: ${closed}\n      url: ${proxy.url}\n`), 'gantry.yaml');
    if (!config.ok) throw new Error('invalid test config');
    const inner = { get: async () => s.target, traffic: async () => s.traffic, observe: async () => s.target, observeTraffic: async () => s.traffic };
    const target = await new RoutedTargets(inner, config.config.environments).get('local');
    const refused = await target.setWeights('dev', 'web', 'main', { '3': 100 }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(TargetError);
    expect((refused as TargetError).code).toBe('ROUTER_UNREACHABLE');
    expect((refused as TargetError).message).toContain(closed);
    expect((refused as TargetError).message).toContain('environment dev');
  });

  it('refuses weights for a backend HAProxy does not have as ROUTER_REFUSED naming it, and verifyWeights too', async () => {
    const config = parseConfigText(routerConfig(await freePort(), `\n      kind: haproxy\n      runtimeApi: ${proxy.runtimeApi}\n      url: ${proxy.url}\n      backend: 'nope_{service}'\n`), 'gantry.yaml');
    if (!config.ok) throw new Error('invalid test config');
    const inner = { get: async () => s.target, traffic: async () => s.traffic, observe: async () => s.target, observeTraffic: async () => s.traffic };
    const target = await new RoutedTargets(inner, config.config.environments).get('local');
    for (const work of [target.setWeights('dev', 'web', 'main', { '3': 100 }), target.verifyWeights('dev', 'web', 'main', { '3': 100 })]) {
      const refused = await work.catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(TargetError);
      expect((refused as TargetError).code).toBe('ROUTER_REFUSED');
      expect((refused as TargetError).message).toMatch(/has no backend nope_web for environment dev/);
      expect((refused as TargetError).hint).toMatch(/backend nope_web/);
    }
  });

  it("follows a replica whose server no longer points at it: verifyWeights re-syncs from the target's describe()", async () => {
    const api = new RuntimeApi(proxy.runtimeApi, 'the test');
    const replica = (await s.target.describe('dev'))[0]?.revisions.find((r) => r.revision === 3)?.ports[0];
    // What HAProxy holds after a replica moved: r3-1 at a port nothing listens on.
    await api.apply([`set server dev_web/r3-1 addr 127.0.0.1 port ${await freePort()}`]);
    expect(parseServersState(await api.query(['show servers state dev_web'])).find((x) => x.name === 'r3-1')?.port).not.toBe(replica);
    const check = await s.target.verifyWeights('dev', 'web', 'main', { '3': 100 });
    expect(check).toEqual({ applied: true, actual: { '3': 100 } });
    expect(parseServersState(await api.query(['show servers state dev_web'])).find((x) => x.name === 'r3-1')?.port).toBe(replica);
    expect(await answers(40)).toEqual({ '3': 40 });
  });
});
