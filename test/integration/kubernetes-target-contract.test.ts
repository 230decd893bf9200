import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runControllers, type Controllers } from '../support/kube/controllers/index.js';
import { startKubeStandin, type KubeStandin } from '../support/kube/standin.js';
import { pushAppImage } from '../support/kube/test-images.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { CONTRACT_SERVICE_JS, spec, targetContract, type ContractSubject } from '../support/target-contract.js';
import { until } from '../support/temp.js';
import { kubeTarget } from './kubernetes-target-fixture.js';

/**
 * The target contract against the Kubernetes API stand-in (test/support/kube): real HTTPS, real
 * server-side apply, controllers that run the pods as processes from real images in a real
 * registry, LoadBalancer Services on 127.0.1.N. The blue-green layout: the one with a preview route.
 */
let standin: KubeStandin;
let registry: TestRegistry;
let images: { ref: string; digest: string; otherDigest: string; repo: string };
let namespaces = 0;

beforeAll(async () => {
  registry = await startRegistry();
  standin = await startKubeStandin({ controllers: (state) => runControllers(state, { backoffBaseMs: 200, backoffMaxMs: 1_000 }) as never });
  const host = new URL(registry.url).host;
  const first = await pushAppImage({ host }, 'contract/app', { 'server.mjs': CONTRACT_SERVICE_JS });
  const other = await pushAppImage({ host }, 'contract/app', { 'server.mjs': `${CONTRACT_SERVICE_JS}\n` });
  images = { ...first, otherDigest: other.digest, repo: `${host}/contract/app` };
}, 60_000);

afterAll(async () => {
  await standin?.stop();
  await registry?.stop();
});

const controllers = (): Controllers => standin.controllers as unknown as Controllers;

async function subject(serviceType: 'LoadBalancer' | 'ClusterIP'): Promise<ContractSubject> {
  // A namespace per subject: each test starts from an empty one, as the contract expects.
  const namespace = `contract-${serviceType.toLowerCase()}-${++namespaces}`;
  const services = ['s0', 's1', 's2', 's3', 's4', 's5', 's6'];
  const { target } = await kubeTarget({ registryHost: new URL(registry.url).host, kubeconfig: standin.kubeconfig(), namespace, environment: 'contract', services, strategy: 'blue-green', serviceType });
  return {
    target,
    environment: 'contract',
    services,
    artifact: { digest: images.digest, ref: images.ref },
    command: 'node server.mjs',
    otherDigest: images.otherDigest,
    refFor: (digest) => `${images.repo}@${digest}`,
    fetchInside: async (url) => {
      const response = await controllers().fetchInside(url, { signal: AbortSignal.timeout(5_000) });
      if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
      return response.text();
    },
    close: () => Promise.resolve(),
  };
}

targetContract('kubernetes (stand-in, LoadBalancer Services)', () => subject('LoadBalancer'));

describe('the kubernetes target with ClusterIP Services', () => {
  it('reports the main route reachable only inside the cluster, where it answers, and refuses url()', async () => {
    const s = await subject('ClusterIP');
    await s.target.startRevision(spec(s, 's0', 1));
    await until('r1 ready', async () => (await s.target.describe('contract')).find((x) => x.service === 's0')?.revisions.find((r) => r.revision === 1 && r.phase === 'ready'), 30_000);
    await s.target.setWeights('contract', 's0', 'main', { '1': 100 });
    await until('main on r1', async () => (await s.target.verifyWeights('contract', 's0', 'main', { '1': 100 })).applied, 30_000);
    const main = await s.target.endpoint('contract', 's0', 'main');
    expect(main).toEqual({ url: expect.stringMatching(/^http:\/\/s0\.contract-clusterip-\d+\.svc\.cluster\.local:8080$/), reachableFrom: 'target' });
    expect(JSON.parse(await (s.fetchInside?.(`${main.url}/`) ?? Promise.resolve('{}')))).toEqual({ revision: '1' });
    await expect(s.target.url('contract', 's0', 'main')).rejects.toMatchObject({ code: 'TARGET_ENDPOINT_UNREACHABLE' });
  }, 60_000);
});
