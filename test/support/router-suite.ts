import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ArtifactRef, RevisionSpec, Target, TrafficSource } from '../../src/targets/target.js';
import { SteadyLoad } from './steady-load.js';
import { until } from './temp.js';

/**
 * The suite every traffic router must pass (issue 15): call `routerSuite` from a test file with a
 * factory that brings up a real agent running ROUTER_SERVICE_JS and the router under test in front
 * of it, and hands back the Target as Gantry's strategies see it. Every step goes through that
 * contract (setWeights, then verifyWeights until applied) and every request through the route's
 * real URL, as a user's would.
 */
export const ROUTER_SERVICE_JS = `import { createServer } from 'node:http';
const held = [];
const server = createServer((req, res) => {
  const answer = () => { res.writeHead(200, { 'content-type': 'text/plain' }); res.end(process.env.ROUTER_REVISION); };
  if (req.url === '/healthz') { res.end('ok'); return; }
  // Held until /release is called on this replica's own port: a slow request the test controls.
  if (req.url === '/hold') { held.push(answer); return; }
  if (req.url === '/holding') { res.end(String(held.length)); return; }
  if (req.url === '/release') { for (const a of held.splice(0)) a(); res.end('released'); return; }
  answer();
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

export interface RouterSubject {
  /** The environment's target as the control plane gets it from the registry (with the router in front). */
  readonly target: Target;
  /** The router's counters, as the metric providers read them. */
  readonly traffic: TrafficSource;
  readonly environment: string;
  /** A service of `environment` whose main route the router under test serves. */
  readonly service: string;
  /** The packed ROUTER_SERVICE_JS and the command that runs it. */
  readonly artifact: ArtifactRef;
  readonly command: string;
  close(): Promise<void>;
}

const READY_MS = 30_000;

function spec(s: RouterSubject, revision: number): RevisionSpec {
  return {
    environment: s.environment,
    service: s.service,
    revision,
    release: `router${revision}`,
    artifact: s.artifact,
    command: s.command,
    env: { ROUTER_REVISION: String(revision) },
    secretKeys: [],
    replicas: 1,
    health: { path: '/healthz', expectStatus: 200, intervalMs: 100, timeoutMs: 1_000 },
  };
}

/** setWeights, then verifyWeights until the router says applied: how a strategy moves traffic. */
async function route(s: RouterSubject, weights: Record<string, number>): Promise<void> {
  await s.target.setWeights(s.environment, s.service, 'main', weights);
  await until(`weights ${JSON.stringify(weights)} applied`, async () => (await s.target.verifyWeights(s.environment, s.service, 'main', weights)).applied, 10_000);
}

/** `total` requests over `connections` keep-alive loops; the answers counted by revision, failures by reason. */
async function sample(url: string, total: number, connections = 8): Promise<{ byRevision: Record<string, number>; failures: string[] }> {
  const byRevision: Record<string, number> = {};
  const failures: string[] = [];
  let sent = 0;
  const loop = async (): Promise<void> => {
    while (sent < total) {
      sent++;
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
        const body = await res.text();
        if (res.status === 200) byRevision[body] = (byRevision[body] ?? 0) + 1;
        else failures.push(`${res.status} ${body.slice(0, 80)}`);
      } catch (error: unknown) {
        failures.push(String(error));
      }
    }
  };
  await Promise.all(Array.from({ length: connections }, loop));
  return { byRevision, failures };
}

export function routerSuite(name: string, setup: () => Promise<RouterSubject>): void {
  describe(`traffic router: ${name}`, () => {
    let s!: RouterSubject;
    let url = '';
    const replicaUrl = async (revision: number): Promise<string> => {
      const status = (await s.target.describe(s.environment)).find((x) => x.service === s.service);
      const port = status?.revisions.find((r) => r.revision === revision)?.ports[0];
      if (port === undefined) throw new Error(`revision ${revision} has no replica port`);
      return `http://127.0.0.1:${port}`;
    };

    beforeAll(async () => {
      s = await setup();
      for (const revision of [1, 2]) await s.target.startRevision(spec(s, revision));
      await until(
        'revisions 1 and 2 ready',
        async () => {
          const status = (await s.target.describe(s.environment)).find((x) => x.service === s.service);
          return [1, 2].every((r) => status?.revisions.find((x) => x.revision === r)?.phase === 'ready');
        },
        READY_MS,
      );
      await route(s, { '1': 100 });
      url = await s.target.url(s.environment, s.service, 'main');
    }, 60_000);

    afterAll(async () => {
      await s?.close();
    }, 30_000);

    it('honours 20/80 weights within 2 points over 10,000 requests, and counts them per revision', async () => {
      const before = await s.traffic.traffic(s.environment, s.service);
      await route(s, { '1': 20, '2': 80 });
      const { byRevision, failures } = await sample(url, 10_000);
      expect(failures).toEqual([]);
      const share = (byRevision['1'] ?? 0) / 10_000;
      expect(share).toBeGreaterThanOrEqual(0.18);
      expect(share).toBeLessThanOrEqual(0.22);
      expect((byRevision['1'] ?? 0) + (byRevision['2'] ?? 0)).toBe(10_000);
      const after = await s.traffic.traffic(s.environment, s.service);
      const counted = (revision: number): number => (after.find((t) => t.revision === revision)?.requests ?? 0) - (before.find((t) => t.revision === revision)?.requests ?? 0);
      // The router's own counters saw what the client saw (the agent's health probes do not go through the route).
      expect(counted(1)).toBe(byRevision['1']);
      expect(counted(2)).toBe(byRevision['2']);
      expect((await s.target.describe(s.environment)).find((x) => x.service === s.service)?.weights.main).toEqual({ '1': 20, '2': 80 });
    }, 60_000);

    it('switches atomically: once verifyWeights says applied, no request reaches the old revision', async () => {
      await route(s, { '1': 100 });
      const load = new SteadyLoad([url], 8, 100_000, 1);
      load.start();
      try {
        await load.flowing(50);
        await route(s, { '2': 100 });
        const { byRevision, failures } = await sample(url, 1_000);
        expect(failures).toEqual([]);
        expect(byRevision).toEqual({ '2': 1_000 });
      } finally {
        await load.stop();
      }
      expect(load.failed).toBe(0);
    }, 60_000);

    it('fails no request across 20 switches under steady load', async () => {
      await route(s, { '1': 100 });
      const load = new SteadyLoad([url], 10, 200_000, 2);
      load.start();
      try {
        await load.flowing(50);
        for (let i = 0; i < 20; i++) {
          await route(s, i % 2 === 0 ? { '2': 100 } : { '1': 100 });
          await load.flowing(20);
        }
      } finally {
        await load.stop();
      }
      expect(load.failures).toEqual([]);
      expect(load.failed).toBe(0);
      expect(load.ok).toBeGreaterThan(400);
    }, 90_000);

    it('lets a request in flight finish on the revision it started on', async () => {
      await route(s, { '1': 100 });
      const old = await replicaUrl(1);
      const slow = fetch(`${url}/hold`, { signal: AbortSignal.timeout(20_000) }).then(async (res) => ({ status: res.status, body: await res.text() }));
      await until('the slow request to be held by revision 1', async () => (await (await fetch(`${old}/holding`)).text()) === '1', 10_000);
      await route(s, { '2': 100 });
      expect(await (await fetch(url)).text()).toBe('2');
      await fetch(`${old}/release`);
      expect(await slow).toEqual({ status: 200, body: '1' });
    }, 60_000);
  });
}
