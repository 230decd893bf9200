import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/loader.js';
import type { ConfigIssue, LoadResult } from '../../src/config/loader.js';

const BASE = `version: 1
project: { name: shop }
repository: { url: . }
registries:
  main: { url: 127.0.0.1:5000 }
services:
  api:
    path: services/api
    build: { run: npm run build, output: dist }
    run: { command: node server.mjs, port: 3000, limits: { cpus: 0.25, memory: 128Mi } }
    health: { path: /healthz }
    image: { base: '127.0.0.1:5000/base/node:20' }
environments:
  dev:
    branch: develop
    target: cluster
targets:
  cluster:
    kind: kubernetes
    namespace: shop-dev
`;
const CREDS = '    kubeconfigSecret: KUBECONFIG_DEV\n';

function load(text: string): LoadResult {
  return parseConfigText(text, 'gantry.yaml');
}
const errors = (result: LoadResult): ConfigIssue[] => (result.ok ? [] : result.errors);
const codes = (result: LoadResult): string[] => errors(result).map((e) => `${e.code} ${e.path.join('.')}`);
const lineOf = (text: string, needle: string): number => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

describe('gantry.yaml: a kubernetes target', () => {
  it('accepts a kubeconfig target, and a server + token one, normalised with their defaults', () => {
    const kubeconfig = load(`${BASE}${CREDS}    context: dev\n    serviceType: LoadBalancer\n    endpoint: https://{service}-{route}.{environment}.example.com\n`);
    if (!kubeconfig.ok) throw new Error(codes(kubeconfig).join(', '));
    expect(kubeconfig.config.targets['cluster']).toMatchObject({ kind: 'kubernetes', namespace: 'shop-dev', credentials: { kind: 'kubeconfig', secret: 'KUBECONFIG_DEV', context: 'dev' }, serviceType: 'LoadBalancer', progressDeadlineMs: 600_000 });
    const token = load(`${BASE}    server: https://10.0.0.1:6443\n    tokenSecret: KUBE_TOKEN\n    caSecret: KUBE_CA\n    serviceType: NodePort\n`);
    if (!token.ok) throw new Error(codes(token).join(', '));
    expect(token.config.targets['cluster']).toMatchObject({ credentials: { kind: 'token', server: 'https://10.0.0.1:6443', tokenSecret: 'KUBE_TOKEN', caSecret: 'KUBE_CA' }, serviceType: 'NodePort' });
  });

  it('refuses a target without credentials, at the target, saying both ways', () => {
    const result = load(BASE);
    expect(codes(result)).toEqual(['CONFIG_MISSING_KEY targets.cluster']);
    expect(errors(result)[0]?.message).toMatch(/has no credentials for its cluster/);
    expect(errors(result)[0]?.hint).toMatch(/kubeconfigSecret.*server: https:\/\/… with tokenSecret/);
    expect(errors(result)[0]?.line).toBe(lineOf(BASE, '  cluster:'));
  });

  it('refuses two ways at once, and half of the token way', () => {
    const both = `${BASE}${CREDS}    server: https://10.0.0.1:6443\n    caSecret: KUBE_CA\n`;
    expect(codes(load(both))).toEqual(['CONFIG_INVALID_VALUE targets.cluster.server', 'CONFIG_INVALID_VALUE targets.cluster.caSecret']);
    expect(errors(load(both))[0]?.line).toBe(lineOf(both, 'server:'));
    expect(errors(load(both))[0]?.message).toMatch(/cannot be used with kubeconfigSecret/);
    expect(codes(load(`${BASE}    server: https://10.0.0.1:6443\n`))).toEqual(['CONFIG_MISSING_KEY targets.cluster']);
    expect(errors(load(`${BASE}    server: https://10.0.0.1:6443\n`))[0]?.message).toMatch(/needs targets\.cluster\.tokenSecret/);
    expect(errors(load(`${BASE}    tokenSecret: KUBE_TOKEN\n`))[0]?.message).toMatch(/needs targets\.cluster\.server/);
    const context = load(`${BASE}    server: https://10.0.0.1:6443\n    tokenSecret: KUBE_TOKEN\n    context: dev\n`);
    expect(codes(context)).toEqual(['CONFIG_INVALID_VALUE targets.cluster.context']);
    expect(errors(context)[0]?.message).toMatch(/only applies with kubeconfigSecret/);
  });

  it('refuses a namespace that is not a DNS label, saying what one is', () => {
    for (const bad of ['Shop_Dev', '-shop', `n${'x'.repeat(63)}`]) {
      const text = `${BASE.replace('namespace: shop-dev', `namespace: ${bad}`)}${CREDS}`;
      const result = load(text);
      expect(codes(result)).toEqual(['CONFIG_INVALID_VALUE targets.cluster.namespace']);
      expect(errors(result)[0]?.message).toMatch(/DNS label/);
      expect(errors(result)[0]?.line).toBe(lineOf(text, 'namespace:'));
    }
  });

  it('needs an image of every service it deploys (CONFIG_IMAGE_MISSING, as a docker target)', () => {
    const text = `${BASE.replace("    image: { base: '127.0.0.1:5000/base/node:20' }\n", '')}${CREDS}`;
    const result = load(text);
    expect(codes(result)).toEqual(['CONFIG_IMAGE_MISSING environments.dev']);
    expect(errors(result)[0]?.message).toMatch(/through the kubernetes target cluster, but services\.api has no image/);
  });

  it('needs a run command with a port for a service it deploys (the probe and Service port)', () => {
    const text = `${BASE.replace(/ {4}run: .*\n/, '').replace('    target: cluster\n', '    target: cluster\n    services: [api]\n')}${CREDS}`;
    expect(codes(load(text))).toEqual(['CONFIG_SERVICE_NOT_RUNNABLE environments.dev.services.0']);
    const noPort = `${BASE.replace('port: 3000, ', '')}${CREDS}`;
    expect(codes(load(noPort))).toEqual(['CONFIG_MISSING_KEY services.api.run.port']);
  });

  it('refuses CPU and memory limits Kubernetes cannot hold, at their line', () => {
    const cpus = `${BASE.replace('cpus: 0.25', 'cpus: 0.0005')}${CREDS}`;
    expect(codes(load(cpus))).toEqual(['CONFIG_INVALID_VALUE services.api.run.limits.cpus']);
    expect(errors(load(cpus))[0]?.message).toMatch(/below Kubernetes' smallest CPU quantity \(1m/);
    expect(errors(load(cpus))[0]?.line).toBe(lineOf(cpus, 'cpus: 0.0005'));
    expect(codes(load(`${BASE.replace('memory: 128Mi', 'memory: 2Mi')}${CREDS}`))).toEqual(['CONFIG_INVALID_VALUE services.api.run.limits.memory']);
    expect(load(`${BASE.replace('cpus: 0.25', 'cpus: 0.001').replace('memory: 128Mi', 'memory: 1.5Gi')}${CREDS}`).ok).toBe(true);
    // The same limits on a local target are the docker runtime's business, not Kubernetes'.
    expect(load(BASE.replace('cpus: 0.25', 'cpus: 0.0005').replace('    target: cluster\n', '')).ok).toBe(false);
  });

  it('accepts NodePort and LoadBalancer, and refuses an endpoint placeholder it cannot fill', () => {
    for (const type of ['ClusterIP', 'NodePort', 'LoadBalancer']) expect(load(`${BASE}${CREDS}    serviceType: ${type}\n`).ok).toBe(true);
    const text = `${BASE}${CREDS}    endpoint: https://{service}.{namespace}.example.com\n`;
    expect(codes(load(text))).toEqual(['CONFIG_INVALID_VALUE targets.cluster.endpoint']);
    expect(errors(load(text))[0]?.message).toMatch(/uses \{namespace\}, which the target cannot fill/);
    expect(errors(load(text))[0]?.hint).toMatch(/\{service\}, \{route\}, \{environment\}/);
  });

  it('accepts maxUnavailable on a kubernetes target, and refuses maxSurge 0 with maxUnavailable 0', () => {
    const strategy = (s: string): string => `${BASE.replace('    target: cluster\n', `    target: cluster\n    strategy: ${s}\n`)}${CREDS}`;
    expect(load(strategy('{ kind: rolling, maxSurge: 0, maxUnavailable: 1 }')).ok).toBe(true);
    expect(load(strategy('{ kind: rolling, maxSurge: 2, maxUnavailable: 1 }')).ok).toBe(true);
    for (const s of ['{ kind: rolling, maxSurge: 0, maxUnavailable: 0 }', '{ kind: rolling, maxSurge: 0 }']) {
      const result = load(strategy(s));
      expect(codes(result)).toEqual(['CONFIG_INVALID_VALUE environments.dev.strategy']);
      expect(errors(result)[0]?.message).toMatch(/maxSurge 0 and maxUnavailable 0 .*Kubernetes refuses it/);
    }
  });

  it('binds no host port: environments on kubernetes targets may share a service port, and a preview needs no offset', () => {
    const text = `${BASE}${CREDS}  cluster-prod:\n    kind: kubernetes\n    namespace: shop-production\n    kubeconfigSecret: KUBECONFIG_PROD\n`.replace(
      'environments:\n  dev:\n    branch: develop\n    target: cluster\n',
      'environments:\n  dev:\n    branch: develop\n    target: cluster\n  production:\n    branch: main\n    target: cluster-prod\n    strategy: blue-green\n',
    );
    const result = load(text);
    expect(codes(result)).toEqual([]);
    // The same two environments on this machine's local target do clash.
    const local = load(text.replace('    target: cluster\n', '    target: local-box\n').replace('targets:\n', 'targets:\n  local-box: { kind: local }\n').replace('    target: cluster-prod\n', '    target: local-box\n'));
    expect(codes(local).some((c) => c.startsWith('CONFIG_PORT_CONFLICT') || c.includes('port'))).toBe(true);
  });
});
