import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubernetesTarget } from '../../src/targets/kubernetes/kubernetes-target.js';
import type { RevisionSpec, ServiceStatus } from '../../src/targets/target.js';
import { clusterUnderTest, type ClusterUnderTest } from '../support/kube/cluster-under-test.js';
import { SteadyLoad } from '../support/steady-load.js';
import { CONTRACT_SERVICE_JS, targetContract, type ContractSubject } from '../support/target-contract.js';
import { until } from '../support/temp.js';
import { kubeTarget } from './kubernetes-target-fixture.js';

/**
 * The canary layout (replica ratio) against the stand-in: a Deployment per revision behind one
 * Service whose load balancer spreads requests evenly over the ready pods it selects, so weights
 * are pods. The whole target contract runs on it too.
 */
const ENV = 'production';
const WAIT_MS = 60_000;
const STEPS = '      steps: [{ setWeight: 10 }, { setWeight: 50 }]\n';

let cluster: ClusterUnderTest;
let image: { ref: string; digest: string };
let namespaces = 0;

beforeAll(async () => {
  cluster = await clusterUnderTest({ backoffBaseMs: 200, backoffMaxMs: 1_000 });
  image = await cluster.pushApp('canary/app', { 'server.mjs': CONTRACT_SERVICE_JS });
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
});

/** A target over a fresh namespace, or over `namespace` again (as a restarted control plane makes it). */
async function canaryTarget(services: readonly string[], namespace = `canary-${++namespaces}`): Promise<KubernetesTarget> {
  return (await kubeTarget({ registryHost: cluster.registryHost, kubeconfig: cluster.kubeconfig, namespace, environment: ENV, services, strategy: 'canary', strategyLines: STEPS, serviceType: 'LoadBalancer' })).target;
}

function revision(service: string, n: number, replicas: number): RevisionSpec {
  return {
    environment: ENV,
    service,
    revision: n,
    release: `release${n}abcdef`,
    artifact: image,
    command: 'node server.mjs',
    env: { CONTRACT_REVISION: String(n) },
    secretKeys: [],
    replicas,
    health: { path: '/healthz', expectStatus: 200, intervalMs: 200, timeoutMs: 1_000 },
  };
}

/** One service of one target, driven as the canary strategy drives it: each setWeights followed by verifyWeights until applied. */
function driver(target: KubernetesTarget, service: string) {
  const status = async (): Promise<ServiceStatus> => {
    const found = (await target.describe(ENV)).find((s) => s.service === service);
    if (!found) throw new Error(`describe() has no ${service}`);
    return found;
  };
  return {
    status,
    ready: (n: number) => until(`r${n} ready`, async () => (await status()).revisions.find((r) => r.revision === n && r.phase === 'ready'), WAIT_MS),
    weigh: async (weights: Record<string, number>) => {
      await target.setWeights(ENV, service, 'main', weights);
      return until(`${JSON.stringify(weights)} applied`, async () => {
        const check = await target.verifyWeights(ENV, service, 'main', weights);
        return check.applied ? check : undefined;
      }, WAIT_MS);
    },
    /** Which revision answers each of `n` requests through the Service's load balancer. */
    answers: async (n: number): Promise<Record<string, number>> => {
      const url = await target.url(ENV, service, 'main');
      const counts: Record<string, number> = {};
      for (let i = 0; i < n; i++) {
        const response = await fetch(`${url}/`, { signal: AbortSignal.timeout(5_000) });
        const answered = ((await response.json()) as { revision?: string }).revision ?? 'none';
        counts[answered] = (counts[answered] ?? 0) + 1;
      }
      return counts;
    },
    /** Pods of each revision as describe() lists them (a terminating one still counts). */
    pods: async (): Promise<Record<string, number>> => {
      const all = (await target.describe(ENV)).find((s) => s.service === service)?.revisions ?? [];
      return Object.fromEntries(all.map((r) => [String(r.revision), (r.replicas ?? []).length]));
    },
  };
}

describe('the kubernetes target, canary layout (replica ratio, stand-in)', () => {
  it('claims weighted routing, without header routing or a preview route, and does not roll itself', async () => {
    const target = await canaryTarget(['api']);
    expect(target.capabilities()).toEqual({ weightedRouting: true, headerRouting: false, preview: false, rollsItself: false });
  });

  it('moves pods with the weights (10 % of 10 replicas is 1 canary pod, 50 % is 5) and the load balancer follows the ratio; a rollback to stable 100 % leaves no canary pod', async () => {
    const target = await canaryTarget(['api']);
    const api = driver(target, 'api');
    await target.startRevision(revision('api', 1, 10));
    await api.ready(1);
    await api.weigh({ '1': 100 });
    await until('10 stable pods ready', async () => (await api.status()).revisions.find((r) => r.revision === 1)?.readyReplicas === 10, WAIT_MS);

    // The canary starts with one pod, out of the Service: no request reaches it before its first step.
    await target.startRevision(revision('api', 2, 10));
    await api.ready(2);
    expect(await api.answers(40)).toEqual({ '1': 40 });

    expect((await api.weigh({ '1': 90, '2': 10 })).actual).toEqual({ '1': 90, '2': 10 });
    await until('the stable scaled to 9', async () => (await api.pods())['1'] === 9, WAIT_MS);
    expect(await api.pods()).toEqual({ '1': 9, '2': 1 });
    expect((await api.status()).weights.main).toEqual({ '1': 90, '2': 10 });
    // Round robin over 10 ready pods: 1 in 10 requests; the tolerance allows for pods joining between turns.
    const tenth = await api.answers(200);
    expect(tenth['2']).toBeGreaterThanOrEqual(10);
    expect(tenth['2']).toBeLessThanOrEqual(30);
    expect((tenth['1'] ?? 0) + (tenth['2'] ?? 0)).toBe(200);

    expect((await api.weigh({ '1': 50, '2': 50 })).actual).toEqual({ '1': 50, '2': 50 });
    await until('the stable scaled to 5', async () => (await api.pods())['1'] === 5, WAIT_MS);
    expect(await api.pods()).toEqual({ '1': 5, '2': 5 });
    const half = await api.answers(200);
    expect(half['2']).toBeGreaterThanOrEqual(80);
    expect(half['2']).toBeLessThanOrEqual(120);

    // Rollback as the strategy does it: the stable revision on all traffic, then the canary stopped.
    await expect(target.stopRevision(ENV, 'api', 2)).rejects.toMatchObject({ code: 'CONFLICT' });
    expect((await api.weigh({ '1': 100 })).actual).toEqual({ '1': 100 });
    expect(await api.answers(40)).toEqual({ '1': 40 });
    await target.stopRevision(ENV, 'api', 2);
    expect((await api.pods())['2'] ?? 0).toBe(0);
    expect((await api.status()).revisions.find((r) => r.revision === 2)?.phase).toBe('stopped');
    await until('the stable back at 10 ready pods', async () => (await api.status()).revisions.find((r) => r.revision === 1)?.readyReplicas === 10, WAIT_MS);
  }, 240_000);

  it('rounds a split few replicas cannot honour (10 % of 2 replicas is one pod each) and says applied at the 50/50 it gives', async () => {
    const target = await canaryTarget(['web']);
    const web = driver(target, 'web');
    await target.startRevision(revision('web', 1, 2));
    await web.ready(1);
    await web.weigh({ '1': 100 });
    await target.startRevision(revision('web', 2, 2));
    await web.ready(2);
    const check = await web.weigh({ '1': 90, '2': 10 });
    expect(check.actual).toEqual({ '1': 50, '2': 50 });
    expect(await web.pods()).toEqual({ '1': 1, '2': 1 });
    expect(await web.answers(20)).toEqual({ '1': 10, '2': 10 });
  }, 120_000);

  it('gives the canary all traffic at its full size; the stable keeps its pods out of the Service until retire stops it', async () => {
    const target = await canaryTarget(['billing']);
    const billing = driver(target, 'billing');
    await target.startRevision(revision('billing', 1, 4));
    await billing.ready(1);
    await billing.weigh({ '1': 100 });
    await target.startRevision(revision('billing', 2, 4));
    await billing.ready(2);
    await billing.weigh({ '1': 50, '2': 50 });
    expect(await billing.pods()).toEqual({ '1': 2, '2': 2 });
    // Nothing is kept in memory: a restarted control plane's target reads the same split from the cluster.
    const restarted = await canaryTarget(['billing'], `canary-${namespaces}`);
    expect((await restarted.describe(ENV))[0]?.weights.main).toEqual({ '1': 50, '2': 50 });
    expect(await restarted.verifyWeights(ENV, 'billing', 'main', { '1': 50, '2': 50 })).toEqual({ applied: true, actual: { '1': 50, '2': 50 } });

    // Promotion: the canary scales to its 4 replicas first; the Service leaves the stable only once all 4 are ready.
    await target.setWeights(ENV, 'billing', 'main', { '2': 100 });
    const seen: Array<{ weights: Record<string, number>; canaryReady: number }> = [];
    await until('the canary on the whole route', async () => {
      const s = await billing.status();
      seen.push({ weights: { ...s.weights.main }, canaryReady: s.revisions.find((r) => r.revision === 2)?.readyReplicas ?? 0 });
      return (await target.verifyWeights(ENV, 'billing', 'main', { '2': 100 })).applied;
    }, WAIT_MS);
    expect(seen[0]).toMatchObject({ weights: { '1': 50, '2': 50 } });
    expect(seen.filter((x) => x.weights['1'] === undefined).every((x) => x.canaryReady === 4)).toBe(true);
    expect(await billing.answers(20)).toEqual({ '2': 20 });
    // Still running for an instant rollback, but no request reaches it.
    expect((await billing.status()).revisions.find((r) => r.revision === 1)).toMatchObject({ phase: 'ready', readyReplicas: 2 });
    expect(await billing.answers(20)).toEqual({ '2': 20 });

    await expect(target.stopRevision(ENV, 'billing', 2)).rejects.toMatchObject({ code: 'CONFLICT' });
    await target.stopRevision(ENV, 'billing', 1);
    expect((await billing.status()).revisions.find((r) => r.revision === 1)?.phase).toBe('stopped');
    expect(await billing.answers(20)).toEqual({ '2': 20 });

    // The next canary starts in the slot the stopped stable left.
    await target.startRevision(revision('billing', 3, 4));
    await billing.ready(3);
    expect((await billing.status()).revisions.map((r) => r.revision).sort()).toEqual([2, 3]);
  }, 180_000);

  it('fails no request under steady load while a canary walks 10 % → 50 % → 100 % and back five times, serving pods terminating on the way', async () => {
    const target = await canaryTarget(['cart']);
    const cart = driver(target, 'cart');
    for (const r of [1, 2]) await target.startRevision(revision('cart', r, 4));
    for (const r of [1, 2]) await cart.ready(r);
    await cart.weigh({ '1': 100 });
    const load = new SteadyLoad([`${await target.url(ENV, 'cart', 'main')}/`], 6, 200_000, 2);
    load.start();
    try {
      await load.flowing(20);
      for (let i = 0; i < 5; i++) {
        // Each split step scales down pods the Service selects (the stable 4 → 3 → 2): they terminate under load.
        const steps: Array<Record<string, number>> = [{ '1': 90, '2': 10 }, { '1': 50, '2': 50 }, { '2': 100 }, { '1': 100 }];
        for (const weights of steps) {
          await cart.weigh(weights);
          await load.flowing(10);
        }
      }
    } finally {
      await load.stop();
    }
    expect(load.failures).toEqual([]);
    expect(load.failed).toBe(0);
    expect(load.ok).toBeGreaterThan(200);
  }, 240_000);

  it('refuses a split over three revisions and a preview route, naming the service', async () => {
    const target = await canaryTarget(['api']);
    await expect(target.setWeights(ENV, 'api', 'main', { '1': 20, '2': 30, '3': 50 })).rejects.toMatchObject({ code: 'TARGET_CAPABILITY_MISSING', message: expect.stringContaining(`${ENV}/api`) });
    await expect(target.setWeights(ENV, 'api', 'preview', { '1': 100 })).rejects.toMatchObject({ code: 'TARGET_CAPABILITY_MISSING' });
  });
});

targetContract('kubernetes canary layout (replica ratio)', async (): Promise<ContractSubject> => {
  const services = ['s0', 's1', 's2', 's3', 's4', 's5', 's6'];
  const target = await canaryTarget(services);
  const other = await cluster.pushApp('canary/app', { 'server.mjs': `${CONTRACT_SERVICE_JS}\n` });
  return {
    target,
    environment: ENV,
    services,
    artifact: image,
    command: 'node server.mjs',
    otherDigest: other.digest,
    refFor: (digest) => `${cluster.registryHost}/canary/app@${digest}`,
    fetchInside: (url) => cluster.fetchInside(url),
    close: () => Promise.resolve(),
  };
});
