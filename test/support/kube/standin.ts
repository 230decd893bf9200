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
 * resourceVersionMatch other than Exact, dry-run, finalizers other than the kubelet's pod deletion,
 * Table output (kubectl get's columns), the $patch/$retainKeys strategic directives.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { ClusterState } from './cluster-state.js';
import { startApiServer } from './api-server.js';
import { makeStandinTls } from './api-tls.js';
import { kubeconfigYaml } from './kubeconfig.js';
import type { PodLogSource } from './api-pod-logs.js';

/** What the controllers (helper B's runControllers) give back: a stop, and the kubelet's container logs. */
export interface StandinControllers extends PodLogSource {
  stop(): Promise<void>;
  readonly faults?: unknown;
}

export type RunControllers = (state: ClusterState, options: { registryAuthFrom?: unknown; logger?: unknown }) => StandinControllers;

export interface KubeStandinOptions {
  /** Changes a watch can resume from; lower it to see 410 Gone. */
  readonly historyLimit?: number;
  readonly bookmarkIntervalMs?: number;
  /** Namespaces made at start besides default, kube-system and kube-public. */
  readonly namespaces?: readonly string[];
  /** The controllers to run: the stand-in's own (controllers/index.ts) by default, a stub, or none (false). */
  readonly controllers?: RunControllers | false;
  readonly registryAuthFrom?: unknown;
  readonly logger?: unknown;
  /** DELETE only marks pods and the kubelet removes them; default: when the stand-in's own controllers run. */
  readonly gracefulPodDeletion?: boolean;
}

export interface KubeStandin {
  readonly url: string;
  readonly caPem: string;
  readonly token: string;
  /** YAML with the cluster (certificate-authority-data), the token user and one current context. */
  kubeconfig(namespace?: string, context?: string): string;
  readonly state: ClusterState;
  readonly controllers: StandinControllers | undefined;
  /** Ends every watch and followed log, stops the controllers, closes the server. */
  stop(): Promise<void>;
}

const NO_LOGS: PodLogSource = { podLogs: () => [] };

async function defaultControllers(): Promise<RunControllers | undefined> {
  // Loaded by path so the API server's tests run before (and without) the controllers.
  if (!existsSync(new URL('./controllers/index.ts', import.meta.url))) return undefined;
  const entry = './controllers/index.js';
  const module = (await import(entry)) as { runControllers?: RunControllers };
  return module.runControllers;
}

export async function startKubeStandin(options: KubeStandinOptions = {}): Promise<KubeStandin> {
  const state = new ClusterState({ ...(options.historyLimit !== undefined ? { historyLimit: options.historyLimit } : {}) });
  for (const name of ['default', 'kube-system', 'kube-public', ...(options.namespaces ?? [])]) {
    state.create('namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } });
  }
  const run = options.controllers === false ? undefined : (options.controllers ?? (await defaultControllers()));
  const controllers = run?.(state, { registryAuthFrom: options.registryAuthFrom, logger: options.logger });
  const tls = await makeStandinTls();
  const token = randomBytes(24).toString('base64url');
  let server;
  try {
    server = await startApiServer({
      state,
      tls,
      token,
      logs: controllers ?? NO_LOGS,
      gracefulPodDeletion: options.gracefulPodDeletion ?? (controllers !== undefined && options.controllers === undefined),
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
