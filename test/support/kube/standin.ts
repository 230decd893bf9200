/**
 * The Kubernetes API stand-in: one in-process "cluster" a test talks to with a kubeconfig, as it
 * would to kind or k3d. Not shipped; it exists because no kube-apiserver can run here.
 *
 * Modelled (each pinned by test/integration/kube-standin-api.test.ts or the controllers' tests):
 * - HTTPS with the stand-in's own CA (certificate-authority-data in the kubeconfig), bearer-token
 *   auth (401 Status without it); /version, discovery (/api, /apis, /api/v1, /apis/apps/v1).
 * - v1 namespaces, pods, services, configmaps, secrets, events, endpoints and apps/v1 deployments,
 *   replicasets: list (labelSelector =, ==, !=, in, notin, exists; fieldSelector = and != on any
 *   field), get, create, replace (409 on a stale resourceVersion), delete (Background/Foreground
 *   cascade by ownerReferences, Orphan; a namespace takes its objects with it; pods are deleted
 *   gracefully when a kubelet runs), merge, strategic-merge (containers/ports/env/volumes merged by
 *   key; no $patch directives) and JSON patches; subresources deployments/scale, {kind}/status, pods/log
 *   (tailLines, container, previous, follow).
 * - dryRun=All on every write: the same checks and answer, nothing stored (a dry DELETE cascades nothing).
 * - Server-side apply with managedFields in the real fieldsV1 format: ownership per manager,
 *   removal of fields a manager stops applying, 409 conflicts naming field and manager, force.
 * - Validation of every write against the official OpenAPI schema (kubernetes-models), DNS-1123
 *   names, selector/template label match, immutable Deployment selector and Service clusterIP;
 *   422 Invalid with causes naming the field. Defaults: Deployment replicas/strategy, Service
 *   clusterIP (10.96.x.y) and type, Secret stringData folded into data.
 * - Watches: ADDED for the current objects (no or 0 resourceVersion), resume from a version, BOOKMARK
 *   events, 410 Expired once a version left the kept history, timeoutSeconds; with a selector, an
 *   object that starts or stops matching arrives as ADDED or DELETED.
 * - Controllers and kubelet (controllers/): see controllers/index.ts.
 *
 * Not modelled: RBAC and other authentication (one token is all-powerful), admission webhooks,
 * CRDs and other API groups, protobuf, pagination (limit/continue: every list is complete),
 * lists at a past version (a list is always at the current resourceVersion; with
 * resourceVersionMatch=Exact and an older one it is 410 Expired), finalizers other than the kubelet's pod deletion,
 * Table output (kubectl get's columns), the $patch/$retainKeys strategic directives.
 */
import { randomBytes } from 'node:crypto';
import { ClusterState } from './cluster-state.js';
import { startApiServer } from './api-server.js';
import { makeStandinTls } from './api-tls.js';
import { kubeconfigYaml } from './kubeconfig.js';
import type { PodLogSource } from './api-pod-logs.js';
import { runControllers, type ControllerOptions, type Controllers } from './controllers/index.js';

/** What a stand-in needs from its controllers: a stop, and the kubelet's container logs (B's Controllers, or a test's stub). */
export interface StandinControllers extends PodLogSource {
  stop(): Promise<void>;
}

export type RunControllers<C extends StandinControllers = Controllers> = (state: ClusterState) => C;

export interface KubeStandinOptions<C extends StandinControllers = Controllers> {
  /** Changes a watch can resume from; lower it to see 410 Gone. */
  readonly historyLimit?: number;
  readonly bookmarkIntervalMs?: number;
  /** Namespaces made at start besides default, kube-system and kube-public. */
  readonly namespaces?: readonly string[];
  /** The controllers to run: the stand-in's own (controllers/index.ts) by default, a stub, or none (false). */
  readonly controllers?: RunControllers<C> | false;
  /** Options of the stand-in's own controllers when `controllers` is left out (tick, backoff, workDir, logger). */
  readonly controllerOptions?: ControllerOptions;
  /** DELETE only marks pods and the kubelet removes them; default: when controllers run. */
  readonly gracefulPodDeletion?: boolean;
}

export interface KubeStandin<C extends StandinControllers = Controllers> {
  readonly url: string;
  readonly caPem: string;
  readonly token: string;
  /** YAML with the cluster (certificate-authority-data), the token user and one current context. */
  kubeconfig(namespace?: string, context?: string): string;
  readonly state: ClusterState;
  /** undefined with `controllers: false`. */
  readonly controllers: C | undefined;
  /** Ends every watch and followed log, stops the controllers, closes the server. */
  stop(): Promise<void>;
}

const NO_LOGS: PodLogSource = { podLogs: () => [] };

export async function startKubeStandin<C extends StandinControllers = Controllers>(options: KubeStandinOptions<C> = {}): Promise<KubeStandin<C>> {
  const state = new ClusterState({ ...(options.historyLimit !== undefined ? { historyLimit: options.historyLimit } : {}) });
  for (const name of ['default', 'kube-system', 'kube-public', ...(options.namespaces ?? [])]) {
    state.create('namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } });
  }
  // Without a factory C is the default Controllers (the type parameter's default), what runControllers returns.
  const run: RunControllers<C> | undefined = options.controllers === false ? undefined : (options.controllers ?? ((s) => runControllers(s, options.controllerOptions) as unknown as C));
  const controllers = run?.(state);
  const tls = await makeStandinTls();
  const token = randomBytes(24).toString('base64url');
  let server;
  try {
    server = await startApiServer({
      state,
      tls,
      token,
      logs: controllers ?? NO_LOGS,
      gracefulPodDeletion: options.gracefulPodDeletion ?? controllers !== undefined,
      ...(options.bookmarkIntervalMs !== undefined ? { bookmarkIntervalMs: options.bookmarkIntervalMs } : {}),
    });
  } catch (error: unknown) {
    await controllers?.stop();
    throw error;
  }
  const { url } = server;
  const running = server;
  return {
    url,
    caPem: tls.caPem,
    token,
    kubeconfig: (namespace, context = 'standin') => kubeconfigYaml({ url, caPem: tls.caPem, token, ...(namespace ? { namespace } : {}), context }),
    state,
    controllers,
    async stop() {
      await running.stop();
      await controllers?.stop();
    },
  };
}
