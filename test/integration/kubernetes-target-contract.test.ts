import { get } from 'node:http';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EnvSecretSource } from '../../src/secrets/source.js';
import { KubernetesTargets } from '../../src/targets/kubernetes/kubernetes-targets.js';
import { clusterUnderTest, realClusterKubeconfig, type ClusterUnderTest } from '../support/kube/cluster-under-test.js';
import type { KubeStandin } from '../support/kube/standin.js';
import { CONTRACT_SERVICE_JS, spec, targetContract, type ContractSubject } from '../support/target-contract.js';
import { until } from '../support/temp.js';
import { kubeConfigYaml, kubeTarget } from './kubernetes-target-fixture.js';

/**
 * The target contract against the Kubernetes API stand-in (test/support/kube): real HTTPS, real
 * server-side apply, controllers that run the pods as processes from real images in a real
 * registry, LoadBalancer Services on 127.0.1.N. The blue-green layout: the one with a preview route.
 */
let cluster: ClusterUnderTest;
let images: { ref: string; digest: string; otherDigest: string; repo: string };
let namespaces = 0;
/** On a real cluster (GANTRY_TEST_KUBECONFIG) the tests that read the stand-in's own state are skipped. */
const onStandin = realClusterKubeconfig() === undefined;

beforeAll(async () => {
  cluster = await clusterUnderTest({ backoffBaseMs: 200, backoffMaxMs: 1_000 });
  const first = await cluster.pushApp('contract/app', { 'server.mjs': CONTRACT_SERVICE_JS });
  const other = await cluster.pushApp('contract/app', { 'server.mjs': `${CONTRACT_SERVICE_JS}\n` });
  images = { ...first, otherDigest: other.digest, repo: `${cluster.registryHost}/contract/app` };
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
});

/** The stand-in, in the tests that only it can answer. */
const standin = (): KubeStandin => {
  if (!cluster.standin) throw new Error('this test reads the stand-in and runs only on it');
  return cluster.standin;
};

const namespaceBySubject = new WeakMap<ContractSubject, string>();
const namespaceOf = (s: ContractSubject): string => namespaceBySubject.get(s) ?? '';

async function subject(serviceType: 'LoadBalancer' | 'ClusterIP'): Promise<ContractSubject> {
  // A namespace per subject: each test starts from an empty one, as the contract expects.
  const namespace = `contract-${serviceType.toLowerCase()}-${++namespaces}`;
  const services = ['s0', 's1', 's2', 's3', 's4', 's5', 's6'];
  const { target } = await kubeTarget({ registryHost: cluster.registryHost, kubeconfig: cluster.kubeconfig, namespace, environment: 'contract', services, strategy: 'blue-green', serviceType });
  const made: ContractSubject = {
    target,
    environment: 'contract',
    services,
    artifact: { digest: images.digest, ref: images.ref },
    command: 'node server.mjs',
    otherDigest: images.otherDigest,
    refFor: (digest) => `${images.repo}@${digest}`,
    fetchInside: (url) => cluster.fetchInside(url),
    close: () => Promise.resolve(),
  };
  namespaceBySubject.set(made, namespace);
  return made;
}

targetContract(`kubernetes (${onStandin ? 'stand-in' : 'GANTRY_TEST_KUBECONFIG'}, LoadBalancer Services)`, () => subject('LoadBalancer'));

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
    // The namespace did not exist: the first revision applied it, labelled as Gantry's.
    const namespace = /svc\.cluster\.local/.test(main.url) ? main.url.split('.')[1] ?? '' : '';
    if (onStandin) expect(standin().state.get('namespaces', undefined, namespace)?.metadata.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'gantry' });
  }, 60_000);
});

/** One GET on a connection of its own (agent false), as a client without keep-alive makes it. */
function revisionOver(url: string, agent: false): Promise<string> {
  return new Promise((resolve, reject) => {
    get(`${url}/`, { agent, timeout: 5_000 }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve((JSON.parse(body) as { revision: string }).revision));
    }).on('error', reject);
  });
}

describe('the kubernetes target: a blue-green switch for clients without keep-alive', () => {
  it('sends every new connection to the new colour once verifyWeights says applied, with no failed request', async () => {
    const s = await subject('LoadBalancer');
    for (const r of [1, 2]) await s.target.startRevision(spec(s, 's1', r));
    for (const r of [1, 2]) await until(`r${r} ready`, async () => (await s.target.describe('contract')).find((x) => x.service === 's1')?.revisions.find((x) => x.revision === r && x.phase === 'ready'), 30_000);
    await s.target.setWeights('contract', 's1', 'main', { '1': 100 });
    await until('main on r1', async () => (await s.target.verifyWeights('contract', 's1', 'main', { '1': 100 })).applied, 30_000);
    const url = await s.target.url('contract', 's1', 'main');
    expect(await revisionOver(url, false)).toBe('1');
    {
      const seen: string[] = [];
      let switching = true;
      const load = (async () => {
        while (switching) seen.push(await revisionOver(url, false));
      })();
      await s.target.setWeights('contract', 's1', 'main', { '2': 100 });
      await until('main on r2', async () => (await s.target.verifyWeights('contract', 's1', 'main', { '2': 100 })).applied, 30_000);
      const after = seen.length;
      await until('new connections after the switch', () => seen.length > after + 5, 30_000, 5);
      switching = false;
      await load;
      expect(seen.slice(0, after).every((r) => r === '1' || r === '2')).toBe(true);
      expect(new Set(seen.slice(after + 1))).toEqual(new Set(['2']));
    }
  }, 60_000);
});

describe.runIf(onStandin)('the kubernetes target: blue-green colours', () => {
  it('starts a third revision in the colour the main Service does not select, never in the serving one, and scales a stopped colour back up for its revision', async () => {
    const s = await subject('LoadBalancer');
    const colours = async (): Promise<Record<string, string>> => {
      const out: Record<string, string> = {};
      for (const color of ['blue', 'green']) {
        const d = standin().state.list('deployments').find((x) => x.metadata.name === `s2-${color}` && x.metadata.namespace === namespaceOf(s));
        const replicas = (d?.['spec'] as { replicas?: number } | undefined)?.replicas;
        if (d) out[color] = `r${d.metadata.annotations?.['gantry.dev/revision'] ?? '?'}x${replicas ?? '?'}`;
      }
      return out;
    };
    const readyR = (r: number) => until(`r${r} ready`, async () => (await s.target.describe('contract')).find((x) => x.service === 's2')?.revisions.find((x) => x.revision === r && x.phase === 'ready'), 30_000);
    await s.target.startRevision(spec(s, 's2', 1));
    await readyR(1);
    await s.target.setWeights('contract', 's2', 'main', { '1': 100 });
    await s.target.startRevision(spec(s, 's2', 2));
    await readyR(2);
    expect(await colours()).toEqual({ blue: 'r1x1', green: 'r2x1' });
    await s.target.startRevision(spec(s, 's2', 3));
    expect(await colours()).toEqual({ blue: 'r1x1', green: 'r3x1' });
    await readyR(3);
    await s.target.setWeights('contract', 's2', 'main', { '3': 100 });
    await s.target.stopRevision('contract', 's2', 1);
    expect(await colours()).toEqual({ blue: 'r1x0', green: 'r3x1' });
    await s.target.startRevision(spec(s, 's2', 1));
    expect(await colours()).toEqual({ blue: 'r1x1', green: 'r3x1' });
    await readyR(1);
    expect((await s.target.describe('contract')).find((x) => x.service === 's2')?.weights).toEqual({ main: { '3': 100 }, preview: {} });
  }, 90_000);
});

describe.runIf(onStandin)('the kubernetes kind: credentials from the secret store', () => {
  const setup = (): Parameters<typeof kubeConfigYaml>[0] => ({ registryHost: cluster.registryHost, kubeconfig: '', namespace: 'creds', environment: 'contract', services: ['s0'], strategy: 'blue-green', serviceType: 'LoadBalancer' });

  it('refuses a target whose kubeconfig secret is not set, naming the secret and the environment, with the command that sets it', async () => {
    const kind = new KubernetesTargets({ config: kubeConfigYaml(setup()), secrets: new EnvSecretSource({}), logger: pino({ level: 'silent' }) });
    const error = await kind.get('cluster').then(() => undefined, (e: unknown) => e);
    expect(error).toMatchObject({ code: 'TARGET_ERROR', message: 'target cluster needs the secret KUBECONFIG_TEST in environment contract, which is not set', hint: 'Set it: gantry secrets set contract KUBECONFIG_TEST < kubeconfig' });
    expect(standin().state.get('namespaces', undefined, 'creds')).toBeUndefined();
  });

  it('reaches the cluster with a server, a service-account token and the CA, each a secret', async () => {
    const config = kubeConfigYaml(setup());
    const target = config.targets['cluster'];
    if (target?.kind !== 'kubernetes') throw new Error('no kubernetes target');
    const tokenConfig = { ...config, targets: { cluster: { ...target, credentials: { kind: 'token' as const, server: standin().url, tokenSecret: 'KUBE_TOKEN', caSecret: 'KUBE_CA' } } } };
    const secrets = new EnvSecretSource({ GANTRY_SECRET_KUBE_TOKEN: standin().token, GANTRY_SECRET_KUBE_CA: standin().caPem });
    const made = await new KubernetesTargets({ config: tokenConfig, secrets, logger: pino({ level: 'silent' }) }).get('cluster');
    expect((await made.describe('contract')).map((s) => [s.service, s.revisions])).toEqual([['s0', []]]);
    const wrong = await new KubernetesTargets({ config: tokenConfig, secrets: new EnvSecretSource({ GANTRY_SECRET_KUBE_TOKEN: 'not-the-token', GANTRY_SECRET_KUBE_CA: standin().caPem }), logger: pino({ level: 'silent' }) }).get('cluster');
    const refused = await wrong.describe('contract').then(() => undefined, (e: unknown) => e);
    expect(refused).toMatchObject({ code: 'TARGET_ERROR', hint: expect.stringContaining("Check the target's credentials secret") });
    expect(JSON.stringify(refused)).not.toContain('not-the-token');
  });
});
