import { existsSync } from 'node:fs';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Deployment } from 'kubernetes-models/apps/v1';
import { ConfigMap, Namespace, Service } from 'kubernetes-models/v1';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { ApplicationSchema } from '../../src/export/manifests/argo-application.js';
import { runCli } from '../support/cli.js';
import { SERVICE_JS } from '../support/deploy-fixture.js';
import { fixtureRepo, pushChange } from '../support/fixture-repo.js';
import type { KubeObject } from '../support/kube/cluster-state.js';
import { startKubeStandin, type KubeStandin } from '../support/kube/standin.js';
import { pushAppImage } from '../support/kube/test-images.js';
import { failedSteps, pipelineDriver } from '../support/pipeline-driver.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { registerSecret, secretValue } from '../support/sweep.js';
import { TempDirs } from '../support/temp.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

/**
 * `gantry export manifests` through the built CLI: after a real deploy to the kubernetes target
 * (API stand-in, real registry), the exported objects are the ones the target applied, taken from
 * what the server says is live; with --release and no server, a blue-green environment's objects
 * by the release's tag; every object valid for the Kubernetes schema, the Argo CD Application for
 * the folder. Bad input names the environment and writes nothing.
 */

const config = (registry: string): string => `version: 1
project:
  name: shop
repository:
  url: .
  defaultBranch: develop
registries:
  main: { url: '${registry}', username: gantry, passwordSecret: REGISTRY_PASSWORD }
targets:
  k8s-dev: { kind: kubernetes, namespace: shop-dev, kubeconfigSecret: KUBECONFIG, serviceType: LoadBalancer, progressDeadline: 60s }
  k8s-production: { kind: kubernetes, namespace: shop-production, kubeconfigSecret: KUBECONFIG, serviceType: ClusterIP }
services:
  api:
    path: api
    build: { run: mkdir -p out && cp server.mjs version out/, output: out }
    run: { command: node server.mjs, port: 8080, limits: { cpus: 0.5, memory: 128Mi } }
    image: { base: '${registry}/base/empty:latest' }
    replicas: 2
    health: { path: /healthz, interval: 200ms, deadline: 40s }
    secrets: [API_KEY]
    env: { LOG_LEVEL: info }
environments:
  dev:
    branch: develop
    target: k8s-dev
    strategy: { kind: rolling, maxSurge: 1, maxUnavailable: 0 }
    secrets: [API_KEY]
    env: { SHOP_ENV: dev }
  production:
    branch: main
    target: k8s-production
    autoDeploy: false
    strategy: { kind: blue-green }
    secrets: [API_KEY]
  qa:
    branch: qa
    autoDeploy: false
    portOffset: 100
    secrets: [API_KEY]
`;

/** Every document of every file the export wrote, by file name. */
async function readExport(dir: string): Promise<Map<string, KubeObject[]>> {
  const files = new Map<string, KubeObject[]>();
  for (const file of (await readdir(dir)).sort()) files.set(file, parseAllDocuments(await readFile(join(dir, file), 'utf8')).map((d) => d.toJS() as KubeObject));
  return files;
}

const MODELS: Record<string, new (data: never) => { validate(): void }> = { Deployment, ConfigMap, Service, Namespace };
function validateAll(files: Map<string, KubeObject[]>): void {
  for (const [file, objects] of files) {
    for (const o of objects) {
      if (o.kind === 'Application') {
        ApplicationSchema.parse(o);
        continue;
      }
      const Model = MODELS[o.kind];
      expect(Model, `${file}: ${o.kind}`).toBeDefined();
      if (Model) new Model(o as never).validate();
    }
  }
}

const find = (objects: KubeObject[] | undefined, kind: string, name: string): Record<string, unknown> & KubeObject => {
  const o = objects?.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`no ${kind} ${name} in ${JSON.stringify(objects?.map((x) => `${x.kind}/${x.metadata.name}`))}`);
  return o as Record<string, unknown> & KubeObject;
};

interface PodSpecLike {
  spec: { replicas: number; selector: unknown; strategy: unknown; template: { metadata: { labels: Record<string, string> }; spec: { imagePullSecrets?: unknown; containers: Array<Record<string, unknown> & { envFrom: Array<Record<string, { name: string }>> }> } } };
}

describe('gantry export manifests', () => {
  const temp = new TempDirs();
  const apiKey = registerSecret(secretValue('export-api-key'));
  const password = registerSecret(secretValue('export-registry'));
  let registry: TestRegistry;
  let standin: KubeStandin;
  let t: TestServer;
  let root: string;
  let host: string;
  let repo: Awaited<ReturnType<typeof fixtureRepo>>;
  const cli = (args: readonly string[], server = true) => runCli(['--config', join(repo.workDir, 'gantry.yaml'), ...args], server ? { GANTRY_SERVER: t.server.url, GANTRY_TOKEN: t.token } : { GANTRY_SERVER: 'http://127.0.0.1:1' });

  beforeAll(async () => {
    registry = await startRegistry({ users: { gantry: password } });
    host = registry.url.replace('http://', '');
    await pushAppImage({ host, auth: { username: 'gantry', password } }, 'base/empty', {});
    standin = await startKubeStandin();
    root = await temp.make('gantry-export-manifests-');
    const text = config(host);
    repo = await fixtureRepo(root, { 'gantry.yaml': text, 'api/server.mjs': SERVICE_JS, 'api/version': 'v1\n' });
    t = await startTestServer(root, repo, text);
    const kubeconfig = registerSecret(standin.kubeconfig());
    for (const [scope, name, value] of [
      ['dev', 'API_KEY', apiKey],
      ['production', 'API_KEY', apiKey],
      ['qa', 'API_KEY', apiKey],
      ['shared', 'REGISTRY_PASSWORD', password],
      ['dev', 'KUBECONFIG', kubeconfig],
      ['production', 'KUBECONFIG', kubeconfig],
    ] as const) {
      const set = await pipelineDriver(() => t).api('PUT', `/api/v1/secrets/${scope}/${name}`, { value });
      expect(set.status, JSON.stringify(set.body)).toBe(200);
    }
  }, 120_000);

  afterAll(async () => {
    await t?.server.close({ stopAgents: true });
    await standin?.stop();
    await registry?.stop();
    await temp.cleanup();
  }, 120_000);

  it("writes the objects the kubernetes target applied for the environment's live release, and an Argo CD Application for the folder", async () => {
    await pushChange(repo, 'develop', { 'api/version': 'v2\n' }, 'v2', 'develop');
    const dev = await t.finished((await t.runFor('develop')).id, 180_000);
    expect(dev.run.state, failedSteps(dev.steps)).toBe('succeeded');

    const out = join(repo.workDir, 'deploy', 'dev');
    const r = await cli(['export', 'manifests', '--env', 'dev', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('provide Secret api-secrets in namespace shop-dev (keys: API_KEY)');
    const files = await readExport(out);
    expect([...files.keys()]).toEqual(['api.yaml', 'argocd-application.yaml', 'namespace.yaml']);
    validateAll(files);
    const api = files.get('api.yaml');

    // The Deployment is the one in the cluster: image by digest, command, env, probes, strategy, labels.
    const applied = standin.state.get('deployments', 'shop-dev', 'api') as unknown as PodSpecLike & KubeObject;
    const exported = find(api, 'Deployment', 'api') as unknown as PodSpecLike & KubeObject;
    const [liveContainer] = applied.spec.template.spec.containers;
    const [container] = exported.spec.template.spec.containers;
    expect(container?.image).toMatch(new RegExp(`^${host}/shop/api@sha256:[0-9a-f]{64}$`));
    for (const key of ['image', 'command', 'env', 'ports', 'readinessProbe', 'resources', 'name']) expect(container?.[key], key).toEqual(liveContainer?.[key]);
    expect(exported.spec.template.metadata.labels).toEqual(applied.spec.template.metadata.labels);
    expect(exported.spec.template.spec.imagePullSecrets).toEqual([{ name: 'api-pull' }]);
    for (const key of ['replicas', 'selector', 'strategy'] as const) expect(exported.spec[key], key).toEqual(applied.spec[key]);
    expect(exported.metadata.annotations).toMatchObject(Object.fromEntries(Object.entries(applied.metadata.annotations ?? {}).filter(([k]) => k.startsWith('gantry.dev/'))));
    // The same content-named env ConfigMap; the secrets come from a Secret the team provides, never from the export.
    expect(container?.envFrom[0]).toEqual(liveContainer?.envFrom[0]);
    const configMapName = container?.envFrom[0]?.configMapRef?.name ?? '';
    expect(find(api, 'ConfigMap', configMapName).data).toEqual(standin.state.get('configmaps', 'shop-dev', configMapName)?.data);
    expect(container?.envFrom[1]).toEqual({ secretRef: { name: 'api-secrets' } });
    expect(api?.map((o) => o.kind)).not.toContain('Secret');
    expect(JSON.stringify([...files.values()])).not.toContain(apiKey);
    const service = find(api, 'Service', 'api') as unknown as { spec: unknown };
    expect(service.spec).toMatchObject({ type: 'LoadBalancer', selector: (standin.state.get('services', 'shop-dev', 'api') as unknown as { spec: { selector: unknown } }).spec.selector });

    const [app] = files.get('argocd-application.yaml') ?? [];
    expect(app).toMatchObject({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      metadata: { name: 'shop-dev', namespace: 'argocd' },
      spec: { source: { path: 'deploy/dev', directory: { exclude: 'argocd-application.yaml' } }, destination: { namespace: 'shop-dev' }, syncPolicy: { automated: { prune: true, selfHeal: true } } },
    });
    // The fixture's repository has a local origin: Argo CD cannot clone a path, so the CLI says to set it.
    expect(r.stdout).toContain('set spec.source.repoURL in argocd-application.yaml');
  }, 240_000);

  it('exports a blue-green environment by --release without a server: the blue Deployment by its release tag, the main and preview Services', async () => {
    const text = (await readFile(join(repo.workDir, 'gantry.yaml'), 'utf8')).replace('url: .', 'url: https://git.example.com/shop/shop.git');
    await writeFile(join(repo.workDir, 'gantry.yaml'), text);
    const sha = 'a'.repeat(40);
    const out = join(repo.workDir, 'deploy', 'production');
    const r = await cli(['export', 'manifests', '--env', 'production', '--release', sha, '--out', out], false);
    expect(r.code, r.stderr).toBe(0);
    const files = await readExport(out);
    validateAll(files);
    const api = files.get('api.yaml');
    expect(api?.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([expect.stringMatching(/^ConfigMap\/api-env-[0-9a-f]{10}$/), 'Deployment/api-blue', 'Service/api', 'Service/api-preview']);
    const blue = find(api, 'Deployment', 'api-blue') as unknown as PodSpecLike & KubeObject;
    expect(blue.spec.template.spec.containers[0]?.image).toBe(`${host}/shop/api:${sha}`);
    expect(blue.metadata.annotations).toEqual({ 'gantry.dev/release': sha, 'gantry.dev/environment': 'production' });
    expect((find(api, 'Service', 'api') as unknown as { spec: { selector: Record<string, string> } }).spec.selector['gantry.dev/color']).toBe('blue');
    expect((find(api, 'Service', 'api-preview') as unknown as { spec: { selector: Record<string, string> } }).spec.selector['gantry.dev/color']).toBe('none');
    expect(files.get('namespace.yaml')?.[0]).toMatchObject({ kind: 'Namespace', metadata: { name: 'shop-production' } });
    expect(files.get('argocd-application.yaml')?.[0]).toMatchObject({ spec: { source: { repoURL: 'https://git.example.com/shop/shop.git', path: 'deploy/production', targetRevision: 'HEAD' }, destination: { server: 'https://kubernetes.default.svc', namespace: 'shop-production' } } });
  });

  it('refuses an environment without a kubernetes target, an unknown one, one with nothing live, an unreachable server and a bad --release, writing nothing', async () => {
    const out = join(root, 'refused');
    const local = await cli(['export', 'manifests', '--env', 'qa', '--out', out]);
    expect(local.code).toBe(1);
    expect(local.stderr).toMatch(/^EXPORT_TARGET_UNSUPPORTED: environment qa deploys to target local \(kind local\)/);
    expect(local.stderr).toContain('where: environments.qa.target');
    const unknown = await cli(['export', 'manifests', '--env', 'prod', '--out', out]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^UNKNOWN_ENVIRONMENT: environment "prod" is not declared.*\n.*Declared: dev, production, qa/);
    const nothing = await cli(['export', 'manifests', '--env', 'production', '--out', out]);
    expect(nothing.code).toBe(1);
    expect(nothing.stderr).toMatch(/^EXPORT_NO_RELEASE: nothing is live in production yet/);
    const noServer = await cli(['export', 'manifests', '--env', 'dev', '--out', out], false);
    expect(noServer.code).toBe(4);
    expect(noServer.stderr).toMatch(/^SERVER_UNREACHABLE: cannot reach the Gantry server at http:\/\/127\.0\.0\.1:1\n.*Or pass --release <sha> to export that commit without a server\./m);
    const badSha = await cli(['export', 'manifests', '--env', 'dev', '--release', 'main', '--out', out], false);
    expect(badSha.code).toBe(2);
    expect(badSha.stderr).toMatch(/^USAGE: --release "main" is not a commit id/);
    const outside = await cli(['export', 'manifests', '--env', 'dev', '--release', 'b'.repeat(40), '--out', join(root, 'outside')], false);
    expect(outside.code).toBe(2);
    expect(outside.stderr).toContain('is not a folder inside the repository');
    for (const r of [local, unknown, nothing, noServer, badSha, outside]) expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(out)).toBe(false);
    expect(existsSync(join(root, 'outside'))).toBe(false);
  });
});
