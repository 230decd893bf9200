import { describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { request as httpsRequest } from 'node:https';
import {
  ApiException,
  AppsV1Api,
  CoreV1Api,
  KubeConfig,
  KubernetesObjectApi,
  Log,
  PatchStrategy,
  Watch,
  makeInformer,
  setHeaderOptions,
  type KubernetesObject,
  type V1ConfigMap,
  type V1Deployment,
} from '@kubernetes/client-node';
import { useKubeStandin } from '../support/kube/standin-fixture.js';
import type { StandinControllers } from '../support/kube/standin.js';
import { until } from '../support/temp.js';

// The stand-in's API server driven through the official client, as the Kubernetes target drives it.
// Controllers are a stub here (pod logs only): this file pins the API server's own behaviour.
const LOG_LINES = ['booting', 'listening on 8080', 'GET /health 200', 'GET /health 200'];
const stubControllers = (): StandinControllers => ({
  stop: async () => undefined,
  podLogs: (_ns, _pod, options) => (options.tailLines !== undefined ? LOG_LINES.slice(-options.tailLines) : LOG_LINES).map((l) => (options.previous ? `previous: ${l}` : l)),
});

function clients(kubeconfig: string): { core: CoreV1Api; apps: AppsV1Api; objects: KubernetesObjectApi; kc: KubeConfig } {
  const kc = new KubeConfig();
  kc.loadFromString(kubeconfig);
  return { core: kc.makeApiClient(CoreV1Api), apps: kc.makeApiClient(AppsV1Api), objects: KubernetesObjectApi.makeApiClient(kc), kc };
}

/** A request with the stand-in's CA and maybe a token, outside client-node, to read what it answers verbatim. */
function rawRequest(url: string, ca: string, token?: string, send?: { method: string; contentType: string; body: string }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(send ? { 'content-type': send.contentType } : {}) };
    const req = httpsRequest(url, { ca, method: send?.method ?? 'GET', headers }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end(send?.body);
  });
}
const rawGet = (url: string, ca: string, token?: string): Promise<{ status: number; body: string }> => rawRequest(url, ca, token);

/** The Status a failed call carried (client-node 1.x keeps the response body as a string). */
async function statusOf(call: Promise<unknown>): Promise<{ code: number; reason: string; message: string; details?: { causes?: Array<{ field?: string; message: string }> } }> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApiException);
  const body = (error as ApiException<unknown>).body;
  return (typeof body === 'string' ? JSON.parse(body) : body) as never;
}

const deployment = (name: string, extra: { replicas?: number; image?: string; labels?: Record<string, string>; memory?: string } = {}): V1Deployment & KubernetesObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace: 'apps', ...(extra.labels ? { labels: extra.labels } : {}) },
  spec: {
    ...(extra.replicas !== undefined ? { replicas: extra.replicas } : {}),
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      spec: { containers: [{ name: 'app', image: extra.image ?? 'registry.local/app:1', ...(extra.memory ? { resources: { limits: { memory: extra.memory } } } : {}) }] },
    },
  },
});

describe('kube stand-in API server', () => {
  // No kubelet behind the stub, so nothing would finish a graceful pod deletion: pods go at once.
  const standin = useKubeStandin({ controllers: stubControllers, gracefulPodDeletion: false, namespaces: ['apps'], bookmarkIntervalMs: 200 });

  it('refuses a request without the bearer token with a 401 Status', async () => {
    const { core } = clients(standin().kubeconfig().replace(standin().token, 'wrong-token'));
    const refused = await core.listNamespace().catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 401 }); // client-node drops the body of a status its API does not declare
    const raw = await rawGet(`${standin().url}/api/v1/namespaces`, standin().caPem);
    expect(raw.status).toBe(401);
    expect(JSON.parse(raw.body)).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Unauthorized', code: 401 });
    expect(await fetch(`${standin().url}/version`).catch((e: unknown) => e)).toBeInstanceOf(Error); // the stand-in's CA is trusted only through the kubeconfig
  });

  it('creates, reads, lists by selector and refuses a replace with a stale resourceVersion', async () => {
    const { core } = clients(standin().kubeconfig());
    const created = await core.createNamespacedConfigMap({ namespace: 'apps', body: { metadata: { name: 'settings', labels: { tier: 'web' } }, data: { a: '1' } } });
    expect(created.metadata?.uid).toBeTruthy();
    await core.createNamespacedConfigMap({ namespace: 'apps', body: { metadata: { name: 'other', labels: { tier: 'db' } } } });
    expect(await core.createNamespacedConfigMap({ namespace: 'missing', body: { metadata: { name: 'x' } } }).catch((e: unknown) => e)).toMatchObject({ code: 404 });
    expect((await statusOf(core.createNamespacedConfigMap({ namespace: 'apps', body: { metadata: { name: 'settings' } } }))).reason).toBe('AlreadyExists');
    const byLabel = await core.listNamespacedConfigMap({ namespace: 'apps', labelSelector: 'tier=web' });
    expect(byLabel.items.map((c) => c.metadata?.name)).toEqual(['settings']);
    expect(Number(byLabel.metadata?.resourceVersion)).toBeGreaterThan(0);
    const byName = await core.listConfigMapForAllNamespaces({ fieldSelector: 'metadata.name=other' });
    expect(byName.items.map((c) => c.metadata?.name)).toEqual(['other']);

    const fresh = await core.readNamespacedConfigMap({ name: 'settings', namespace: 'apps' });
    const replaced = await core.replaceNamespacedConfigMap({ name: 'settings', namespace: 'apps', body: { ...fresh, data: { a: '2' } } });
    expect(replaced.data).toEqual({ a: '2' });
    const stale = await statusOf(core.replaceNamespacedConfigMap({ name: 'settings', namespace: 'apps', body: { ...fresh, data: { a: '3' } } }));
    expect(stale).toMatchObject({ code: 409, reason: 'Conflict' });
    expect((await core.readNamespacedConfigMap({ name: 'settings', namespace: 'apps' })).data).toEqual({ a: '2' });
  });

  it('refuses an invalid object with 422 naming the field, and stores nothing', async () => {
    const { apps, core } = clients(standin().kubeconfig());
    const bad = await statusOf(apps.createNamespacedDeployment({ namespace: 'apps', body: deployment('web', { memory: '12 bananas' }) }));
    expect(bad).toMatchObject({ code: 422, reason: 'Invalid' });
    expect(bad.details?.causes?.map((c) => c.field)).toContain('spec.template.spec.containers[0].resources.limits.memory');
    const mismatch = deployment('web');
    mismatch.spec!.template.metadata!.labels = { app: 'other' };
    expect((await statusOf(apps.createNamespacedDeployment({ namespace: 'apps', body: mismatch }))).details?.causes?.map((c) => c.field)).toContain('spec.template.metadata.labels');
    const badName = await statusOf(core.createNamespacedConfigMap({ namespace: 'apps', body: { metadata: { name: 'Not_A_Name' } } }));
    expect(badName.details?.causes?.map((c) => c.field)).toEqual(['metadata.name']);
    expect((await apps.listNamespacedDeployment({ namespace: 'apps' })).items).toEqual([]);
  });

  it('fills a Service clusterIP that then cannot change, and folds Secret stringData into data', async () => {
    const { core } = clients(standin().kubeconfig());
    const svc = await core.createNamespacedService({ namespace: 'apps', body: { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] } } });
    expect(svc.spec?.clusterIP).toMatch(/^10\.96\.\d+\.\d+$/);
    const changed = await statusOf(core.replaceNamespacedService({ name: 'web', namespace: 'apps', body: { ...svc, spec: { ...svc.spec, clusterIP: '10.96.200.200' } } }));
    expect(changed.details?.causes?.map((c) => c.field)).toEqual(['spec.clusterIP']);
    const secret = await core.createNamespacedSecret({ namespace: 'apps', body: { metadata: { name: 'pull' }, stringData: { token: 's3cret' } } });
    expect(secret.data).toEqual({ token: Buffer.from('s3cret').toString('base64') });
  });

  it('applies server-side: creates, re-applies, removes what the manager stops applying, conflicts without force, moves ownership with force', async () => {
    const { objects, apps } = clients(standin().kubeconfig());
    const apply = (obj: KubernetesObject, manager: string, force: boolean): Promise<KubernetesObject> => objects.patch(obj, undefined, undefined, manager, force, PatchStrategy.ServerSideApply);
    const first = (await apply(deployment('api', { replicas: 2, labels: { team: 'core' } }), 'gantry', false)) as V1Deployment;
    expect(first.metadata?.managedFields?.map((m) => [m.manager, m.operation])).toEqual([['gantry', 'Apply']]);
    expect(first.metadata?.managedFields?.[0]?.fieldsV1).toMatchObject({ 'f:spec': { 'f:replicas': {}, 'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"app"}': { '.': {}, 'f:image': {} } } } } } });
    const withSidecar = deployment('api', { replicas: 2 });
    withSidecar.spec!.template.spec!.containers.push({ name: 'sidecar', image: 'registry.local/side:1' });
    expect(((await apply(withSidecar, 'gantry', false)) as V1Deployment).spec?.template.spec?.containers.map((c) => c.name)).toEqual(['app', 'sidecar']);
    const again = (await apply(deployment('api', { replicas: 2 }), 'gantry', false)) as V1Deployment;
    expect(again.metadata?.labels).toBeUndefined();
    expect(again.spec?.template.spec?.containers.map((c) => c.name)).toEqual(['app']);
    const noop = (await apply(deployment('api', { replicas: 2 }), 'gantry', false)) as V1Deployment;
    expect(noop.metadata?.resourceVersion).toBe(again.metadata?.resourceVersion); // nothing changed: no write, no MODIFIED event
    expect(again.metadata?.uid).toBe(first.metadata?.uid);

    const conflict = await statusOf(apply(deployment('api', { replicas: 2, image: 'registry.local/app:evil' }), 'intruder', false));
    expect(conflict).toMatchObject({ code: 409, reason: 'Conflict' });
    expect(conflict.message).toContain('conflict with "gantry"');
    expect(conflict.details?.causes?.map((c) => c.field)).toEqual(['.spec.template.spec.containers[name="app"].image']);
    const dry = (await objects.patch(deployment('api', { replicas: 2, image: 'registry.local/app:dry' }), undefined, 'All', 'intruder', true, PatchStrategy.ServerSideApply)) as V1Deployment;
    expect(dry.spec?.template.spec?.containers[0]?.image).toBe('registry.local/app:dry');
    expect((await apps.readNamespacedDeployment({ name: 'api', namespace: 'apps' })).spec?.template.spec?.containers[0]?.image).toBe('registry.local/app:1');
    const forced = (await apply(deployment('api', { replicas: 2, image: 'registry.local/app:2' }), 'intruder', true)) as V1Deployment;
    expect(forced.spec?.template.spec?.containers[0]?.image).toBe('registry.local/app:2');
    expect((await apps.readNamespacedDeployment({ name: 'api', namespace: 'apps' })).spec?.template.spec?.containers[0]?.image).toBe('registry.local/app:2');

    const moved = deployment('api', { replicas: 2, image: 'registry.local/app:2' });
    moved.spec!.selector = { matchLabels: { app: 'api', v: '2' } };
    moved.spec!.template.metadata!.labels = { app: 'api', v: '2' };
    expect((await statusOf(apply(moved, 'intruder', true))).details?.causes?.map((c) => c.field)).toEqual(['spec.selector']);
  });

  it('takes an apply body written as YAML, as kubectl apply --server-side sends it', async () => {
    const yaml = ['apiVersion: v1', 'kind: ConfigMap', 'metadata:', '  name: from-yaml', '  namespace: apps', 'data:', '  mode: "blue"', ''].join('\n');
    const url = `${standin().url}/api/v1/namespaces/apps/configmaps/from-yaml?fieldManager=kubectl`;
    const created = await rawRequest(url, standin().caPem, standin().token, { method: 'PATCH', contentType: 'application/apply-patch+yaml', body: yaml });
    expect(created.status).toBe(201);
    expect(JSON.parse(created.body)).toMatchObject({ data: { mode: 'blue' }, metadata: { managedFields: [{ manager: 'kubectl', operation: 'Apply' }] } });
    const broken = await rawRequest(url, standin().caPem, standin().token, { method: 'PATCH', contentType: 'application/apply-patch+yaml', body: 'data: [unclosed' });
    expect(JSON.parse(broken.body)).toMatchObject({ kind: 'Status', reason: 'BadRequest', code: 400 });
    const kindless = await rawRequest(url, standin().caPem, standin().token, { method: 'PATCH', contentType: 'application/apply-patch+yaml', body: 'metadata:\n  name: from-yaml\n' });
    expect(JSON.parse(kindless.body)).toMatchObject({ reason: 'BadRequest', message: expect.stringContaining('apiVersion and kind') });
  });

  it('keeps spec.replicas that kubectl scale set when Gantry applies without it, and reports the conflict when Gantry applies it', async () => {
    const { objects, apps } = clients(standin().kubeconfig());
    const apply = (obj: KubernetesObject, force = false): Promise<KubernetesObject> => objects.patch(obj, undefined, undefined, 'gantry', force, PatchStrategy.ServerSideApply);
    await apply(deployment('worker', { replicas: 2 }));
    const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
    const scaled = await apps.patchNamespacedDeploymentScale({ name: 'worker', namespace: 'apps', fieldManager: 'kubectl', body: { spec: { replicas: 5 } } }, mergePatch);
    expect(scaled.spec?.replicas).toBe(5);
    const conflict = await statusOf(apply(deployment('worker', { replicas: 2 })));
    expect(conflict.details?.causes?.map((c) => c.field)).toEqual(['.spec.replicas']);
    expect(conflict.message).toContain('conflict with "kubectl"');
    const kept = (await apply(deployment('worker', { image: 'registry.local/app:3' }))) as V1Deployment;
    expect(kept.spec?.replicas).toBe(5);
    expect(kept.spec?.template.spec?.containers[0]?.image).toBe('registry.local/app:3');
  });

  it('serves scale and status subresources: scale writes only replicas (409 when stale), status only status, a PUT of the object keeps status', async () => {
    const { apps } = clients(standin().kubeconfig());
    await apps.createNamespacedDeployment({ namespace: 'apps', body: deployment('subby', { replicas: 1 }) });
    const scale = await apps.readNamespacedDeploymentScale({ name: 'subby', namespace: 'apps' });
    expect(scale).toMatchObject({ kind: 'Scale', spec: { replicas: 1 }, status: { selector: 'app=subby' } });
    const put = await apps.replaceNamespacedDeploymentScale({ name: 'subby', namespace: 'apps', body: { ...scale, spec: { replicas: 4 } } });
    expect(put.spec?.replicas).toBe(4);
    expect((await apps.replaceNamespacedDeploymentScale({ name: 'subby', namespace: 'apps', body: { ...scale, spec: { replicas: 2 } } }).catch((e: unknown) => e))).toMatchObject({ code: 409 });

    const current = await apps.readNamespacedDeployment({ name: 'subby', namespace: 'apps' });
    const withStatus = await apps.replaceNamespacedDeploymentStatus({ name: 'subby', namespace: 'apps', body: { ...current, spec: { ...current.spec!, replicas: 9 }, status: { replicas: 4, readyReplicas: 3 } } });
    expect(withStatus.status).toEqual({ replicas: 4, readyReplicas: 3 });
    expect(withStatus.spec?.replicas).toBe(4);
    const replaced = await apps.replaceNamespacedDeployment({ name: 'subby', namespace: 'apps', body: { ...withStatus, status: { replicas: 0 } } });
    expect(replaced.status).toEqual({ replicas: 4, readyReplicas: 3 });
    expect(replaced.metadata?.managedFields?.find((m) => m.subresource === 'scale')?.manager).toBeTruthy();
  });

  it('creates a namespace, and deleting it removes what is in it', async () => {
    const { core } = clients(standin().kubeconfig());
    await core.createNamespace({ body: { metadata: { name: 'scratch' } } });
    await core.createNamespacedConfigMap({ namespace: 'scratch', body: { metadata: { name: 'inside' } } });
    await core.deleteNamespace({ name: 'scratch' });
    expect((await core.listNamespace()).items.map((n) => n.metadata?.name)).not.toContain('scratch');
    expect((await core.listConfigMapForAllNamespaces({ fieldSelector: 'metadata.namespace=scratch' })).items).toEqual([]);
  });

  it('patches with merge, strategic-merge (containers by name) and JSON patch', async () => {
    const { apps } = clients(standin().kubeconfig());
    const two = deployment('patchy');
    two.spec!.template.spec!.containers.push({ name: 'sidecar', image: 'registry.local/side:1' });
    await apps.createNamespacedDeployment({ namespace: 'apps', body: two });
    const strategic = await apps.patchNamespacedDeployment(
      { name: 'patchy', namespace: 'apps', body: { spec: { template: { spec: { containers: [{ name: 'sidecar', image: 'registry.local/side:2' }] } } } } },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    expect(strategic.spec?.template.spec?.containers.map((c) => `${c.name}=${c.image ?? ''}`)).toEqual(['app=registry.local/app:1', 'sidecar=registry.local/side:2']);
    const merged = await apps.patchNamespacedDeployment({ name: 'patchy', namespace: 'apps', body: { metadata: { annotations: { note: 'hi' } } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    expect(merged.metadata?.annotations).toEqual({ note: 'hi' });
    const json = await apps.patchNamespacedDeployment({ name: 'patchy', namespace: 'apps', body: [{ op: 'replace', path: '/spec/replicas', value: 3 }] }, setHeaderOptions('Content-Type', PatchStrategy.JsonPatch));
    expect(json.spec?.replicas).toBe(3);
    expect(json.metadata?.generation).toBe(3);
  });

  it('streams a watch from a resourceVersion with bookmarks, and resumes from one', async () => {
    const { core, kc } = clients(standin().kubeconfig());
    const start = (await core.listNamespacedConfigMap({ namespace: 'apps' })).metadata?.resourceVersion ?? '';
    const events: Array<{ type: string; name?: string; rv?: string }> = [];
    const watch = new Watch(kc);
    let done: unknown = 'open';
    const controller = await watch.watch(
      '/api/v1/namespaces/apps/configmaps',
      { resourceVersion: start, allowWatchBookmarks: true },
      (type, object: V1ConfigMap) => events.push({ type, name: object.metadata?.name, rv: object.metadata?.resourceVersion }),
      (err: unknown) => (done = err),
    );
    await core.createNamespacedConfigMap({ namespace: 'apps', body: { metadata: { name: 'watched' } } });
    await core.deleteNamespacedConfigMap({ name: 'watched', namespace: 'apps' });
    await until('the watch sees ADDED, DELETED and a BOOKMARK', () => events.some((e) => e.type === 'BOOKMARK') && events.some((e) => e.type === 'DELETED'));
    expect(events.filter((e) => e.type !== 'BOOKMARK').map((e) => `${e.type} ${e.name ?? ''}`)).toEqual(['ADDED watched', 'DELETED watched']);
    controller.abort();
    await until('the aborted watch is done', () => done !== 'open');

    // Resumed from the version of ADDED, the same stream replays only what came after it.
    const resumed: string[] = [];
    const added = events.find((e) => e.type === 'ADDED')?.rv;
    const again = await watch.watch('/api/v1/namespaces/apps/configmaps', { resourceVersion: added }, (type, object: V1ConfigMap) => resumed.push(`${type} ${object.metadata?.name ?? ''}`), () => undefined);
    await until('the resumed watch replays the deletion', () => resumed.length > 0);
    expect(resumed).toEqual(['DELETED watched']);
    again.abort();
  });

  it('sends an object that starts or stops matching a watch selector as ADDED or DELETED', async () => {
    const { core, kc } = clients(standin().kubeconfig());
    await core.createNamespacedConfigMap({ namespace: 'apps', body: { metadata: { name: 'flipper', labels: { role: 'idle' } } } });
    const events: string[] = [];
    const controller = await new Watch(kc).watch('/api/v1/namespaces/apps/configmaps', { labelSelector: 'role=live' }, (type, o: V1ConfigMap) => events.push(`${type} ${o.metadata?.name ?? ''}`), () => undefined);
    const relabel = (role: string): Promise<V1ConfigMap> =>
      core.patchNamespacedConfigMap({ name: 'flipper', namespace: 'apps', body: { metadata: { labels: { role } } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    await relabel('live');
    await relabel('idle');
    await until('the watch sees the object leave its selector', () => events.length >= 2);
    expect(events).toEqual(['ADDED flipper', 'DELETED flipper']);
    controller.abort();
  });

  it('ends a watch at its timeoutSeconds', async () => {
    const { kc } = clients(standin().kubeconfig());
    let done: unknown = 'open';
    await new Watch(kc).watch('/apis/apps/v1/deployments', { timeoutSeconds: 1 }, () => undefined, (err: unknown) => (done = err));
    await until('the watch ends by itself', () => done !== 'open', 10_000);
    expect(done).toBeNull();
  });

  it('serves an informer (list then watch) that sees adds, updates and deletes', async () => {
    const { core, kc } = clients(standin().kubeconfig());
    await core.createNamespacedConfigMap({ namespace: 'apps', body: { metadata: { name: 'before-informer' } } });
    const informer = makeInformer(kc, '/api/v1/namespaces/apps/configmaps', () => core.listNamespacedConfigMap({ namespace: 'apps' }));
    const seen: string[] = [];
    informer.on('add', (o) => seen.push(`add ${o.metadata?.name ?? ''}`));
    informer.on('update', (o) => seen.push(`update ${o.metadata?.name ?? ''}`));
    informer.on('delete', (o) => seen.push(`delete ${o.metadata?.name ?? ''}`));
    await informer.start();
    try {
      await until('the informer lists what exists', () => seen.includes('add before-informer'));
      await core.createNamespacedConfigMap({ namespace: 'apps', body: { metadata: { name: 'later' } } });
      await core.patchNamespacedConfigMap({ name: 'later', namespace: 'apps', body: { data: { k: 'v' } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
      await core.deleteNamespacedConfigMap({ name: 'later', namespace: 'apps' });
      await until('the informer sees the new object come and go', () => seen.includes('delete later'));
      expect(seen.filter((s) => s.endsWith(' later'))).toEqual(['add later', 'update later', 'delete later']);
      expect(informer.get('before-informer', 'apps')).toBeDefined();
    } finally {
      await informer.stop();
    }
  });

  it('deletes a Deployment with its ReplicaSets and their Pods (Foreground), or leaves them (Orphan)', async () => {
    const { apps, core } = clients(standin().kubeconfig());
    const tree = async (name: string): Promise<void> => {
      const d = await apps.createNamespacedDeployment({ namespace: 'apps', body: deployment(name) });
      const owner = (o: { metadata?: { name?: string; uid?: string } }, kind: string, apiVersion: string) => [{ apiVersion, kind, name: o.metadata?.name ?? '', uid: o.metadata?.uid ?? '', controller: true }];
      const rs = await apps.createNamespacedReplicaSet({
        namespace: 'apps',
        body: { metadata: { name: `${name}-abc`, ownerReferences: owner(d, 'Deployment', 'apps/v1') }, spec: { selector: { matchLabels: { app: name } }, template: d.spec!.template } },
      });
      await core.createNamespacedPod({ namespace: 'apps', body: { metadata: { name: `${name}-abc-x1`, labels: { app: name }, ownerReferences: owner(rs, 'ReplicaSet', 'apps/v1') }, spec: { containers: [{ name: 'app', image: 'registry.local/app:1' }] } } });
    };
    await tree('doomed');
    await apps.deleteNamespacedDeployment({ name: 'doomed', namespace: 'apps', propagationPolicy: 'Foreground' });
    expect((await apps.listNamespacedReplicaSet({ namespace: 'apps', labelSelector: 'app=doomed' })).items).toEqual([]);
    expect((await apps.listNamespacedReplicaSet({ namespace: 'apps' })).items.map((r) => r.metadata?.name)).not.toContain('doomed-abc');
    expect((await core.listNamespacedPod({ namespace: 'apps', labelSelector: 'app=doomed' })).items).toEqual([]);

    await tree('orphaned');
    await apps.deleteNamespacedDeployment({ name: 'orphaned', namespace: 'apps', propagationPolicy: 'Orphan' });
    expect((await apps.listNamespacedReplicaSet({ namespace: 'apps' })).items.map((r) => r.metadata?.name)).toContain('orphaned-abc');
    expect((await core.listNamespacedPod({ namespace: 'apps', labelSelector: 'app=orphaned' })).items).toHaveLength(1);
  });

  it("serves a pod's log with tailLines, previous, and follow until the pod is deleted", async () => {
    const { core, kc } = clients(standin().kubeconfig());
    await core.createNamespacedPod({ namespace: 'apps', body: { metadata: { name: 'logger' }, spec: { containers: [{ name: 'app', image: 'registry.local/app:1' }] } } });
    expect(await core.readNamespacedPodLog({ name: 'logger', namespace: 'apps', tailLines: 2 })).toBe('GET /health 200\nGET /health 200\n');
    expect(await core.readNamespacedPodLog({ name: 'logger', namespace: 'apps', container: 'app', previous: true, tailLines: 1 })).toBe('previous: GET /health 200\n');
    expect(await core.readNamespacedPodLog({ name: 'ghost', namespace: 'apps' }).catch((e: unknown) => e)).toMatchObject({ code: 404 });
    const wrongContainer = await rawGet(`${standin().url}/api/v1/namespaces/apps/pods/logger/log?container=nope`, standin().caPem, standin().token);
    expect(JSON.parse(wrongContainer.body)).toMatchObject({ code: 400, message: 'container nope is not valid for pod logger' });

    const out = new PassThrough();
    let text = '';
    out.on('data', (chunk: Buffer) => (text += chunk.toString()));
    let ended = false;
    out.on('end', () => (ended = true));
    await new Log(kc).log('apps', 'logger', 'app', out, { follow: true, tailLines: 1 });
    await until('the followed log sends its tail', () => text === 'GET /health 200\n');
    await core.deleteNamespacedPod({ name: 'logger', namespace: 'apps' });
    await until('the followed log ends with its pod', () => ended);
  });

  it('answers an unknown path with a 404 Status and discovery with the served resources', async () => {
    const unknown = await rawGet(`${standin().url}/apis/batch/v1/jobs`, standin().caPem, standin().token);
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.body)).toMatchObject({ kind: 'Status', reason: 'NotFound', code: 404 });
    const discovery = JSON.parse((await rawGet(`${standin().url}/apis/apps/v1`, standin().caPem, standin().token)).body) as { resources: Array<{ name: string }> };
    expect(discovery.resources.map((r) => r.name)).toEqual(expect.arrayContaining(['deployments', 'deployments/scale', 'replicasets']));
  });
});

describe('kube stand-in API server with a short history', () => {
  const standin = useKubeStandin({ controllers: false, historyLimit: 3 });

  it('ends a watch from a version older than the kept history with a 410 Expired ERROR event', async () => {
    const { core, kc } = clients(standin().kubeconfig());
    const old = (await core.listNamespacedConfigMap({ namespace: 'default' })).metadata?.resourceVersion ?? '';
    for (let i = 0; i < 5; i += 1) await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: `c${i}` } } });
    const events: Array<{ type: string; object: { code?: number; reason?: string } }> = [];
    let done: unknown = 'open';
    await new Watch(kc).watch('/api/v1/configmaps', { resourceVersion: old }, (type, object: { code?: number; reason?: string }) => events.push({ type, object }), (err: unknown) => (done = err));
    await until('the expired watch ends', () => done !== 'open');
    expect(events).toEqual([{ type: 'ERROR', object: expect.objectContaining({ code: 410, reason: 'Expired' }) }]);
  });

  it('answers a list at an exact resourceVersion no longer kept with 410 Expired', async () => {
    const list = await rawGet(`${standin().url}/api/v1/namespaces/default/configmaps?resourceVersion=1&resourceVersionMatch=Exact`, standin().caPem, standin().token);
    expect(list.status).toBe(410);
    expect(JSON.parse(list.body)).toMatchObject({ kind: 'Status', reason: 'Expired', code: 410 });
  });
});
