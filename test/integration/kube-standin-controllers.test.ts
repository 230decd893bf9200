import { Agent, request } from 'node:http';
import { createServer } from 'node:net';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppsV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterState, type KubeObject } from '../support/kube/cluster-state.js';
import { runControllers, type Controllers } from '../support/kube/controllers/index.js';
import { useKubeStandin } from '../support/kube/standin-fixture.js';
import { pushAppImage } from '../support/kube/test-images.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { TempDirs, until } from '../support/temp.js';

// A real HTTP service: /healthz answers, /never fails (a readiness that never passes), / says who answered.
const SERVER = `
const http = require('node:http');
const port = Number(process.env.PORT);
http.createServer((req, res) => {
  if (req.url === '/never') { res.statusCode = 500; res.end('not ready'); return; }
  if (req.url === '/healthz') {
    // A test turns one pod unready by writing a file named after it.
    const unready = process.env.UNREADY_DIR && require('node:fs').existsSync(process.env.UNREADY_DIR + '/' + process.env.HOSTNAME);
    res.statusCode = unready ? 503 : 200;
    res.end(unready ? 'unready' : 'ok');
    return;
  }
  res.end(JSON.stringify({ pod: process.env.HOSTNAME, color: process.env.COLOR, version: process.env.VERSION }));
}).listen(port, '127.0.0.1', () => console.log('pid ' + process.pid + ' listening on ' + port));
process.on('SIGTERM', () => { console.log('bye'); process.exit(0); });
`;

const USERS = { puller: 'pull-pass-1' };
const temp = new TempDirs();
let registry: TestRegistry;
let host: string;
let image: string;
let state: ClusterState;
let controllers: Controllers;
const pids = new Set<number>();

beforeAll(async () => {
  registry = await startRegistry({ users: USERS });
  host = registry.url.replace('http://', '');
  image = (await pushAppImage({ host, auth: { username: 'puller', password: USERS.puller } }, 'shop/web', { 'server.js': SERVER }, { cmd: ['node', 'server.js'] })).ref;
  state = new ClusterState();
  controllers = runControllers(state, { workDir: await temp.make('gantry-kube-'), tickMs: 50, backoffBaseMs: 200 });
});

afterAll(async () => {
  await controllers?.stop();
  await registry?.stop();
  await temp.cleanup();
});

function pullSecret(namespace: string, password = USERS.puller): void {
  const config = { auths: { [host]: { username: 'puller', password, auth: Buffer.from(`puller:${password}`).toString('base64') } } };
  state.create('secrets', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'pull', namespace }, type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': Buffer.from(JSON.stringify(config)).toString('base64') } });
}

interface Shape {
  replicas?: number;
  env?: Record<string, string>;
  labels?: Record<string, string>;
  container?: Record<string, unknown>;
  spec?: Record<string, unknown>;
}

function deployment(namespace: string, name: string, shape: Shape = {}): KubeObject {
  const labels = shape.labels ?? { app: name };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace, annotations: { team: 'shop', 'kubectl.kubernetes.io/last-applied-configuration': '{}' } },
    spec: {
      replicas: shape.replicas ?? 1,
      selector: { matchLabels: labels },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      ...shape.spec,
      template: {
        metadata: { labels },
        spec: {
          terminationGracePeriodSeconds: 2,
          imagePullSecrets: [{ name: 'pull' }],
          containers: [
            {
              name: 'web',
              image,
              ports: [{ containerPort: 8080 }],
              env: Object.entries(shape.env ?? {}).map(([k, v]) => ({ name: k, value: v })),
              readinessProbe: { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 1 },
              ...shape.container,
            },
          ],
        },
      },
    },
  };
}

/** Creates or replaces the spec, as `kubectl apply` does for these fields. */
function apply(object: KubeObject): void {
  const current = state.get('deployments', object.metadata.namespace, object.metadata.name);
  if (!current) state.create('deployments', object);
  else state.update('deployments', { ...current, spec: object['spec'] });
}

type Status = { conditions?: Array<{ type: string; status: string; reason: string }>; availableReplicas?: number; updatedReplicas?: number; replicas?: number; observedGeneration?: number };
const status = (d: KubeObject | undefined): Status => (d?.['status'] ?? {}) as Status;
const progressing = (d: KubeObject | undefined) => status(d).conditions?.find((c) => c.type === 'Progressing');

async function rolledOut(namespace: string, name: string, replicas: number): Promise<KubeObject> {
  return until(`${namespace}/${name} to roll out`, () => {
    const d = state.get('deployments', namespace, name);
    const s = status(d);
    return d && s.observedGeneration === d.metadata.generation && progressing(d)?.reason === 'NewReplicaSetAvailable' && s.updatedReplicas === replicas && s.availableReplicas === replicas && s.replicas === replicas ? d : undefined;
  }, 30_000);
}

type ContainerStatus = { state: Record<string, { reason?: string; exitCode?: number }>; lastState: Record<string, { reason?: string; exitCode?: number }>; restartCount: number; ready: boolean };
const containerStatus = (pod: KubeObject): ContainerStatus | undefined => (pod['status'] as { containerStatuses?: ContainerStatus[] } | undefined)?.containerStatuses?.[0];
const livePods = (namespace: string): KubeObject[] => state.list('pods', namespace).filter((p) => p.metadata.deletionTimestamp === undefined);
const isReady = (pod: KubeObject): boolean => (pod['status'] as { conditions?: Array<{ type: string; status: string }> } | undefined)?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
const eventReasons = (namespace: string): string[] => state.list('events', namespace).map((e) => String(e['reason']));

/** One HTTP GET: on a fresh connection, or on `agent`'s kept-alive one; `localPort` tells connections apart. */
function get(url: string, agent?: Agent): Promise<{ status: number; body: string; localPort: number }> {
  return new Promise((resolve, reject) => {
    const req = request(url, agent ? { agent } : { agent: false, headers: { connection: 'close' } }, (res) => {
      const localPort = res.socket.localPort ?? 0;
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, localPort }));
    });
    req.on('error', reject);
    req.end();
  });
}

function rememberPids(namespace: string): void {
  for (const pod of state.list('pods', namespace)) {
    for (const previous of [false, true]) {
      try {
        for (const line of controllers.podLogs(namespace, pod.metadata.name, { previous })) {
          const pid = /^pid (\d+)/.exec(line)?.[1];
          if (pid) pids.add(Number(pid));
        }
      } catch {
        // No such instance (yet).
      }
    }
  }
}

describe('the Kubernetes stand-in controllers and kubelet', () => {
  it('runs a Deployment of a real HTTP image as a ReplicaSet and Ready pods that answer on their ports', async () => {
    pullSecret('t1');
    apply(deployment('t1', 'web', { replicas: 2 }));
    const d = await rolledOut('t1', 'web', 2);
    expect(d.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('1');
    const [rs, ...more] = state.list('replicasets', 't1');
    expect(more).toHaveLength(0);
    expect(rs?.metadata.name).toMatch(/^web-[a-z0-9]{10}$/);
    expect(rs?.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'Deployment', name: 'web', uid: d.metadata.uid, controller: true });
    expect(rs?.metadata.annotations).toMatchObject({ 'deployment.kubernetes.io/revision': '1', team: 'shop' });
    expect(rs?.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration']).toBeUndefined();
    expect(rs?.['status']).toMatchObject({ replicas: 2, readyReplicas: 2, availableReplicas: 2, fullyLabeledReplicas: 2 });
    const pods = state.list('pods', 't1');
    expect(pods).toHaveLength(2);
    for (const pod of pods) {
      expect(pod.metadata.name).toMatch(new RegExp(`^${rs?.metadata.name ?? ''}-[a-z0-9]{5}$`));
      expect(pod['status']).toMatchObject({ phase: 'Running', podIP: '127.0.0.1' });
      expect(containerStatus(pod)).toMatchObject({ ready: true, restartCount: 0, state: { running: {} } });
      const port = pod.metadata.annotations?.['standin.gantry.dev/port'];
      expect((pod['spec'] as { containers: Array<{ ports: Array<{ containerPort: number }> }> }).containers[0]?.ports[0]?.containerPort).toBe(Number(port));
      const answer = await get(`http://127.0.0.1:${port ?? ''}/`);
      expect(JSON.parse(answer.body)).toMatchObject({ pod: pod.metadata.name });
      expect(controllers.podLogs('t1', pod.metadata.name, {}).join('\n')).toContain(`listening on ${port ?? ''}`);
    }
    expect(status(d).conditions?.find((c) => c.type === 'Available')).toMatchObject({ status: 'True', reason: 'MinimumReplicasAvailable' });
    expect(eventReasons('t1')).toEqual(expect.arrayContaining(['ScalingReplicaSet', 'SuccessfulCreate', 'Scheduled', 'Pulling', 'Pulled', 'Created', 'Started']));
    const started = state.list('events', 't1').find((e) => e['reason'] === 'Started');
    expect(started?.['involvedObject']).toMatchObject({ kind: 'Pod', fieldPath: 'spec.containers{web}' });
    rememberPids('t1');
  });

  it('rolls a template change one surge pod at a time without dropping below replicas ready, and reuses the old ReplicaSet as the next revision', async () => {
    pullSecret('t2');
    apply(deployment('t2', 'web', { replicas: 2, env: { VERSION: '1' } }));
    await rolledOut('t2', 'web', 2);
    const first = state.list('replicasets', 't2')[0]?.metadata.name;
    let fewest = Infinity;
    const unsubscribe = state.subscribe((change) => {
      if (change.resource === 'pods' && change.object.metadata.namespace === 't2') fewest = Math.min(fewest, livePods('t2').filter(isReady).length);
    });
    try {
      apply(deployment('t2', 'web', { replicas: 2, env: { VERSION: '2' } }));
      const d2 = await rolledOut('t2', 'web', 2);
      expect(d2.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('2');
      const second = state.list('replicasets', 't2').find((rs) => rs.metadata.name !== first);
      expect(second?.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('2');
      expect(state.get('replicasets', 't2', first ?? '')?.['spec']).toMatchObject({ replicas: 0 });
      expect(fewest).toBeGreaterThanOrEqual(2);
      await until('the old pods to be gone', () => state.list('pods', 't2').length === 2);
      apply(deployment('t2', 'web', { replicas: 2, env: { VERSION: '1' } }));
      const d3 = await rolledOut('t2', 'web', 2);
      expect(d3.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('3');
      expect(state.list('replicasets', 't2')).toHaveLength(2);
      expect(state.get('replicasets', 't2', first ?? '')?.metadata.annotations).toMatchObject({ 'deployment.kubernetes.io/revision': '3', 'deployment.kubernetes.io/revision-history': '1' });
      expect(fewest).toBeGreaterThanOrEqual(2);
      const pod = livePods('t2').find(isReady);
      expect(JSON.parse((await get(`http://127.0.0.1:${pod?.metadata.annotations?.['standin.gantry.dev/port'] ?? ''}/`)).body)).toMatchObject({ version: '1' });
      expect(eventReasons('t2')).toEqual(expect.arrayContaining(['Killing', 'SuccessfulDelete']));
    } finally {
      unsubscribe();
    }
    rememberPids('t2');
  });

  it('reports a crashing command as CrashLoopBackOff with restarts and keeps its last lines', async () => {
    pullSecret('t3');
    apply(deployment('t3', 'crash', { container: { command: ['/bin/sh', '-c', 'echo "pid $$"; echo "config missing: DATABASE_URL" >&2; exit 3'], readinessProbe: undefined } }));
    const pod = await until('CrashLoopBackOff with two restarts', () =>
      livePods('t3').find((p) => containerStatus(p)?.state['waiting']?.reason === 'CrashLoopBackOff' && (containerStatus(p)?.restartCount ?? 0) >= 2),
    );
    expect(containerStatus(pod)?.lastState['terminated']).toMatchObject({ exitCode: 3, reason: 'Error' });
    expect(pod['status']).toMatchObject({ phase: 'Running' });
    // stdout and stderr are separate pipes: their lines' order is not fixed, only that both are the last two.
    expect(controllers.podLogs('t3', pod.metadata.name, { tailLines: 2 })).toContain('config missing: DATABASE_URL');
    expect(controllers.podLogs('t3', pod.metadata.name, { tailLines: 2 })).toHaveLength(2);
    expect(controllers.podLogs('t3', pod.metadata.name, { previous: true }).join('\n')).toContain('config missing');
    expect(eventReasons('t3')).toContain('BackOff');
    rememberPids('t3');
  });

  it('reports a missing image, bad pull credentials and an injected pull fault as ErrImagePull then ImagePullBackOff', async () => {
    pullSecret('t4');
    const missing = `${host}/shop/none@sha256:${'0'.repeat(64)}`;
    apply(deployment('t4', 'missing', { container: { image: missing } }));
    await until('ImagePullBackOff for the missing image', () => livePods('t4').some((p) => containerStatus(p)?.state['waiting']?.reason === 'ImagePullBackOff'));
    expect(state.list('events', 't4').some((e) => e['reason'] === 'Failed' && String(e['message']).includes(missing))).toBe(true);
    expect(livePods('t4')[0]?.['status']).toMatchObject({ phase: 'Pending' });

    // The image is on the node already (IfNotPresent would not ask the registry): Always does.
    pullSecret('t5', 'wrong-password');
    apply(deployment('t5', 'denied', { container: { imagePullPolicy: 'Always' } }));
    await until('ImagePullBackOff for bad credentials', () => livePods('t5').some((p) => containerStatus(p)?.state['waiting']?.reason === 'ImagePullBackOff'));

    controllers.faults.failPull('shop/web');
    try {
      pullSecret('t6');
      apply(deployment('t6', 'fault'));
      await until('ImagePullBackOff for the injected fault', () => livePods('t6').some((p) => containerStatus(p)?.state['waiting']?.reason === 'ImagePullBackOff'));
    } finally {
      controllers.faults.clear();
    }
    await rolledOut('t6', 'fault', 1);
  });

  it('reports an OOM kill as OOMKilled with exit code 137 and restarts the container', async () => {
    pullSecret('t7');
    apply(deployment('t7', 'web'));
    await rolledOut('t7', 'web', 1);
    const name = livePods('t7')[0]?.metadata.name ?? '';
    rememberPids('t7');
    controllers.faults.oomKill('t7', name);
    const pod = await until('OOMKilled', () => {
      const p = state.get('pods', 't7', name);
      const s = p && containerStatus(p);
      return s && s.restartCount >= 1 && s.lastState['terminated']?.reason === 'OOMKilled' ? s : undefined;
    });
    expect(pod.lastState['terminated']).toMatchObject({ exitCode: 137 });
    await rolledOut('t7', 'web', 1);
    rememberPids('t7');
  });

  it('marks a rollout whose pod never becomes ready as Progressing False ProgressDeadlineExceeded', async () => {
    pullSecret('t8');
    apply(deployment('t8', 'stuck', { spec: { progressDeadlineSeconds: 2 }, container: { readinessProbe: { httpGet: { path: '/never', port: 8080 }, periodSeconds: 1 } } }));
    const d = await until('ProgressDeadlineExceeded', () => {
      const found = state.get('deployments', 't8', 'stuck');
      return progressing(found)?.reason === 'ProgressDeadlineExceeded' ? found : undefined;
    }, 20_000);
    expect(progressing(d)).toMatchObject({ status: 'False' });
    expect(status(d).conditions?.find((c) => c.type === 'Available')).toMatchObject({ status: 'False' });
    expect(state.list('events', 't8').some((e) => e['reason'] === 'Unhealthy' && String(e['message']).startsWith('Readiness probe failed: HTTP probe failed with statuscode: 500'))).toBe(true);
    rememberPids('t8');
  });

  it('serves a LoadBalancer Service on its ingress address and follows a selector flip at once', async () => {
    pullSecret('t9');
    for (const color of ['blue', 'green']) apply(deployment('t9', `shop-${color}`, { env: { COLOR: color }, labels: { app: 'shop', color } }));
    await rolledOut('t9', 'shop-blue', 1);
    await rolledOut('t9', 'shop-green', 1);
    // 127.0.1.1:8080 is taken (here, or by another stand-in on this machine): the next free address is used.
    const blocker = createServer();
    await new Promise<void>((resolve) => {
      blocker.once('error', () => resolve());
      blocker.listen(8080, '127.0.1.1', () => resolve());
    });
    state.create('services', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'shop', namespace: 't9' }, spec: { type: 'LoadBalancer', selector: { app: 'shop', color: 'blue' }, ports: [{ name: 'http', port: 8080, targetPort: 8080 }] } });
    const ip = await until('an ingress address', () => (state.get('services', 't9', 'shop')?.['status'] as { loadBalancer?: { ingress?: Array<{ ip: string }> } } | undefined)?.loadBalancer?.ingress?.[0]?.ip);
    expect(ip).toMatch(/^127\.0\.1\.\d+$/);
    expect(ip).not.toBe('127.0.1.1');
    await new Promise<void>((resolve) => (blocker.listening ? blocker.close(() => resolve()) : resolve()));
    const answer = await until('the load balancer to answer', async () => (await get(`http://${ip}:8080/`)).body);
    expect(JSON.parse(answer)).toMatchObject({ color: 'blue' });
    const endpoints = state.get('endpoints', 't9', 'shop');
    expect((endpoints?.['subsets'] as Array<{ addresses?: unknown[] }>)[0]?.addresses).toHaveLength(1);
    const nodePort = (state.get('services', 't9', 'shop')?.['spec'] as { ports: Array<{ nodePort?: number }> }).ports[0]?.nodePort ?? 0;
    expect(nodePort).toBeGreaterThanOrEqual(30000);
    expect(JSON.parse((await get(`http://127.0.0.1:${nodePort}/`)).body)).toMatchObject({ color: 'blue' });
    expect(await (await controllers.fetchInside('http://shop.t9.svc.cluster.local:8080/')).json()).toMatchObject({ color: 'blue' });

    const service = state.get('services', 't9', 'shop');
    if (!service) throw new Error('the service is gone');
    state.update('services', { ...service, spec: { ...(service['spec'] as object), selector: { app: 'shop', color: 'green' } } });
    for (let i = 0; i < 3; i += 1) expect(JSON.parse((await get(`http://${ip}:8080/`)).body)).toMatchObject({ color: 'green' });
    // A kept-alive connection opened before the flip follows it with its next request.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      state.update('services', { ...(state.get('services', 't9', 'shop') as KubeObject), spec: { ...(service['spec'] as object), selector: { app: 'shop', color: 'blue' } } });
      const before = await get(`http://${ip}:8080/`, agent);
      expect(JSON.parse(before.body)).toMatchObject({ color: 'blue' });
      state.update('services', { ...(state.get('services', 't9', 'shop') as KubeObject), spec: { ...(service['spec'] as object), selector: { app: 'shop', color: 'green' } } });
      const after = await get(`http://${ip}:8080/`, agent);
      expect(JSON.parse(after.body)).toMatchObject({ color: 'green' });
      expect(after.localPort).toBe(before.localPort);
    } finally {
      agent.destroy();
    }
    // No ready endpoint: the connection is closed, not answered.
    state.update('services', { ...(state.get('services', 't9', 'shop') as KubeObject), spec: { ...(service['spec'] as object), selector: { app: 'shop', color: 'red' } } });
    await expect(get(`http://${ip}:8080/`)).rejects.toThrow(/socket hang up|ECONNRESET/);
    rememberPids('t9');
  });

  it('rolls a Recreate Deployment by stopping every old pod first, honours paused, and prunes beyond revisionHistoryLimit', async () => {
    pullSecret('t10');
    const shape = (version: string, paused = false): KubeObject =>
      deployment('t10', 'web', { replicas: 2, env: { VERSION: version }, spec: { strategy: { type: 'Recreate' }, revisionHistoryLimit: 1, paused } });
    apply(shape('1'));
    await rolledOut('t10', 'web', 2);
    let overlap = false;
    const unsubscribe = state.subscribe((change) => {
      if (change.resource !== 'pods' || change.object.metadata.namespace !== 't10') return;
      const versions = new Set(state.list('pods', 't10').map((p) => JSON.stringify((p['spec'] as { containers: Array<{ env?: unknown }> }).containers[0]?.env)));
      if (versions.size > 1) overlap = true;
    });
    try {
      apply(shape('2'));
      await rolledOut('t10', 'web', 2);
      expect(overlap).toBe(false);
    } finally {
      unsubscribe();
    }
    apply(shape('3', true));
    await until('the paused status', () => progressing(state.get('deployments', 't10', 'web'))?.reason === 'DeploymentPaused');
    expect(state.list('replicasets', 't10')).toHaveLength(2);
    apply(shape('3'));
    await rolledOut('t10', 'web', 2);
    const revisions = await until('the history pruned to one old set', () => {
      const sets = state.list('replicasets', 't10');
      return sets.length === 2 ? sets.map((rs) => rs.metadata.annotations?.['deployment.kubernetes.io/revision']).sort() : undefined;
    });
    expect(revisions).toEqual(['2', '3']);
    rememberPids('t10');
  });

  it('builds the environment in the kubelet order, restarts on a failed liveness probe, follows logs, and kills a pod that ignores SIGTERM after its grace period', async () => {
    pullSecret('t11');
    state.create('configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg', namespace: 't11' }, data: { MODE: 'from-configmap', LEVEL: 'info' } });
    state.create('secrets', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'sec', namespace: 't11' }, type: 'Opaque', data: { TOKEN: Buffer.from('s3cret').toString('base64') } });
    const script = 'trap "echo ignoring TERM" TERM; echo "pid $$"; echo "env $MODE $LEVEL $TOKEN $GREETING $PORT"; while true; do echo tick; sleep 0.2; done';
    apply(
      deployment('t11', 'env', {
        container: {
          command: ['/bin/sh', '-c', script],
          envFrom: [{ configMapRef: { name: 'cfg' } }],
          env: [
            { name: 'MODE', value: 'from-env' },
            { name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'sec', key: 'TOKEN' } } },
            { name: 'GREETING', value: 'mode-$(MODE)' },
          ],
          readinessProbe: undefined,
          livenessProbe: { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 1, failureThreshold: 2 },
        },
      }),
    );
    const pod = await until('a running pod', () => livePods('t11').find((p) => containerStatus(p)?.state['running'] !== undefined));
    const port = pod.metadata.annotations?.['standin.gantry.dev/port'] ?? '';
    const first = await until('the environment line', () => controllers.podLogs('t11', pod.metadata.name, {}).find((l) => l.startsWith('env ')));
    expect(first).toBe(`env from-env info s3cret mode-from-env ${port}`);
    const abort = new AbortController();
    const followed: string[] = [];
    for await (const line of controllers.followPodLogs('t11', pod.metadata.name, {}, abort.signal)) {
      followed.push(line);
      if (followed.length === 2) abort.abort();
    }
    expect(followed).toEqual(['tick', 'tick']);
    // Nothing listens on the pod's port: the liveness probe fails, the kubelet stops the container (it ignores SIGTERM: SIGKILL after 2 s).
    const restarted = await until('a liveness restart', () => {
      const s = containerStatus(state.get('pods', 't11', pod.metadata.name) ?? pod);
      return s && s.restartCount >= 1 ? s : undefined;
    }, 20_000);
    expect(restarted.lastState['terminated']).toMatchObject({ exitCode: 137, reason: 'Error' });
    expect(controllers.podLogs('t11', pod.metadata.name, { previous: true })).toContain('ignoring TERM');
    expect(state.list('events', 't11').some((e) => e['reason'] === 'Killing' && String(e['message']).includes('failed liveness probe'))).toBe(true);
    rememberPids('t11');
    state.delete('deployments', 't11', 'env');
    await until('the garbage collector and kubelet to remove the pod', () => state.list('pods', 't11').length === 0 && state.list('replicasets', 't11').length === 0, 20_000);
  });

  it('counts a pod available only minReadySeconds after it is ready, and scales down an unready pod first', async () => {
    pullSecret('t13');
    const unreadyDir = await temp.make('gantry-unready-');
    const shape = (replicas: number): KubeObject => deployment('t13', 'web', { replicas, env: { UNREADY_DIR: unreadyDir }, spec: { minReadySeconds: 2 } });
    let availableWhenFirstReady: number | undefined;
    const unsubscribe = state.subscribe((change) => {
      if (change.resource !== 'replicasets' || change.object.metadata.namespace !== 't13' || availableWhenFirstReady !== undefined) return;
      const s = (change.object['status'] ?? {}) as { readyReplicas?: number; availableReplicas?: number };
      if ((s.readyReplicas ?? 0) > 0) availableWhenFirstReady = s.availableReplicas ?? 0;
    });
    try {
      apply(shape(3));
      await rolledOut('t13', 'web', 3);
    } finally {
      unsubscribe();
    }
    expect(availableWhenFirstReady).toBe(0);
    const [victim] = livePods('t13');
    const name = victim?.metadata.name ?? '';
    await writeFile(join(unreadyDir, name), '');
    await until('the marked pod to turn unready', () => {
      const pod = state.get('pods', 't13', name);
      return pod !== undefined && !isReady(pod);
    }, 20_000);
    apply(shape(2));
    await until('the unready pod to be the one deleted', () => state.get('pods', 't13', name)?.metadata.deletionTimestamp !== undefined || !state.get('pods', 't13', name));
    expect(livePods('t13').filter(isReady)).toHaveLength(2);
    rememberPids('t13');
  });

  it('ends a bare pod with restartPolicy Never as Succeeded or Failed by its exit code', async () => {
    pullSecret('t12');
    state.create('pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'typo', namespace: 't12' },
      spec: { restartPolicy: 'Never', imagePullSecrets: [{ name: 'pull' }], containers: [{ name: 'job', image, command: ['no-such-binary'] }] },
    });
    for (const [name, code] of [['ok', 0], ['bad', 1]] as const) {
      state.create('pods', {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, namespace: 't12' },
        spec: { restartPolicy: 'Never', imagePullSecrets: [{ name: 'pull' }], containers: [{ name: 'job', image, command: ['/bin/sh', '-c', `echo "pid $$"; echo done; exit ${code}`] }] },
      });
    }
    const phases = await until('both pods to finish', () => {
      const found = ['ok', 'bad'].map((n) => (state.get('pods', 't12', n)?.['status'] as { phase?: string } | undefined)?.phase);
      return found.every((p) => p === 'Succeeded' || p === 'Failed') ? found : undefined;
    });
    expect(phases).toEqual(['Succeeded', 'Failed']);
    const ok = state.get('pods', 't12', 'ok');
    expect(ok && containerStatus(ok)).toMatchObject({ restartCount: 0, ready: false, state: { terminated: { exitCode: 0, reason: 'Completed' } } });
    const bad = state.get('pods', 't12', 'bad');
    expect(bad && containerStatus(bad)).toMatchObject({ restartCount: 0, state: { terminated: { exitCode: 1, reason: 'Error' } } });
    expect(bad?.['spec']).toMatchObject({ nodeName: 'standin-node' });
    expect(controllers.podLogs('t12', 'bad', {})).toContain('done');
    const typo = await until('the command that cannot start', () => {
      const p = state.get('pods', 't12', 'typo');
      return p && (p['status'] as { phase?: string }).phase === 'Failed' ? containerStatus(p) : undefined;
    });
    expect(typo?.state['terminated']).toMatchObject({ exitCode: 128, reason: 'StartError' });
  });

  it('leaves no process behind once stopped', async () => {
    rememberPids('t1');
    expect(pids.size).toBeGreaterThanOrEqual(8);
    await controllers.stop();
    const alive = [...pids].filter((pid) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    });
    expect(alive).toEqual([]);
  });
});

describe('the controllers behind the stand-in API server, driven with the official client', () => {
  const standin = useKubeStandin({ namespaces: ['shop'] });

  it('rolls out a Deployment created over the API, serves its pod log, and replaces a pod deleted over the API after stopping it gracefully', async () => {
    const kc = new KubeConfig();
    kc.loadFromString(standin().kubeconfig('shop'));
    const core = kc.makeApiClient(CoreV1Api);
    const apps = kc.makeApiClient(AppsV1Api);
    const config = { auths: { [host]: { username: 'puller', password: USERS.puller } } };
    await core.createNamespacedSecret({ namespace: 'shop', body: { metadata: { name: 'pull' }, type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': Buffer.from(JSON.stringify(config)).toString('base64') } } });
    const body = deployment('shop', 'api', { replicas: 1 });
    await apps.createNamespacedDeployment({ namespace: 'shop', body: body as never });
    await until('the rollout over the API', async () => {
      const d = await apps.readNamespacedDeployment({ namespace: 'shop', name: 'api' });
      return d.status?.availableReplicas === 1 && d.status.conditions?.some((c) => c.type === 'Progressing' && c.reason === 'NewReplicaSetAvailable');
    });
    const [pod] = (await core.listNamespacedPod({ namespace: 'shop' })).items;
    const name = pod?.metadata?.name ?? '';
    expect(await core.readNamespacedPodLog({ namespace: 'shop', name })).toMatch(/listening on \d+/);
    await core.deleteNamespacedPod({ namespace: 'shop', name });
    const after = await until('a replacement pod and the old one gone', async () => {
      const pods = (await core.listNamespacedPod({ namespace: 'shop' })).items;
      return pods.length === 1 && pods[0]?.metadata?.name !== name && pods[0]?.status?.phase === 'Running' ? pods : undefined;
    });
    expect(after).toHaveLength(1);
    const events = (await core.listNamespacedEvent({ namespace: 'shop' })).items;
    expect(events.some((e) => e.reason === 'Killing' && e.involvedObject.name === name)).toBe(true);
    expect(events.some((e) => e.reason === 'SuccessfulCreate' && e.count === 1)).toBe(true);
  });
});
