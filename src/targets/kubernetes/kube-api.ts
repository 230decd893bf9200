import yaml from 'js-yaml';
import {
  ApiException,
  dumpYaml,
  AppsV1Api,
  CoreV1Api,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
  type CoreV1Event,
  type KubeConfig,
  type KubernetesObject,
  type V1Deployment,
  type V1Endpoints,
  type V1Pod,
  type V1ReplicaSet,
  type V1Service,
} from '@kubernetes/client-node';
import { TargetError } from '../../errors/index.js';
import { FIELD_MANAGER } from './names.js';
import type { Manifest } from './validate.js';

/**
 * The slice of the Kubernetes API the target uses, over @kubernetes/client-node: server-side apply
 * (field manager `gantry`, forced for the fields Gantry owns) of any object, the reads and lists
 * describe() needs, the two merge patches (a Service's selector, a Deployment's scale), pod logs
 * and events. Errors become TargetErrors naming the call, with the API server's own message.
 */
export class KubeApi {
  private readonly apps: AppsV1Api;
  private readonly core: CoreV1Api;
  private readonly objects: KubernetesObjectApi;

  constructor(
    kubeConfig: KubeConfig,
    private readonly label: string,
  ) {
    this.apps = kubeConfig.makeApiClient(AppsV1Api);
    this.core = kubeConfig.makeApiClient(CoreV1Api);
    this.objects = KubernetesObjectApi.makeApiClient(kubeConfig);
  }

  async apply(manifest: Manifest): Promise<void> {
    await this.call(`applying ${manifest.kind} ${manifest.metadata.name}`, () =>
      this.objects.patch(manifest as unknown as KubernetesObject, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply),
    );
  }

  readDeployment(namespace: string, name: string): Promise<V1Deployment | undefined> {
    return this.read(`reading Deployment ${name}`, () => this.apps.readNamespacedDeployment({ name, namespace }));
  }

  readService(namespace: string, name: string): Promise<V1Service | undefined> {
    return this.read(`reading Service ${name}`, () => this.core.readNamespacedService({ name, namespace }));
  }

  readEndpoints(namespace: string, name: string): Promise<V1Endpoints | undefined> {
    return this.read(`reading Endpoints ${name}`, () => this.core.readNamespacedEndpoints({ name, namespace }));
  }

  async deployments(namespace: string, labelSelector: string): Promise<V1Deployment[]> {
    return (await this.call('listing Deployments', () => this.apps.listNamespacedDeployment({ namespace, labelSelector }))).items;
  }

  async replicaSets(namespace: string, labelSelector: string): Promise<V1ReplicaSet[]> {
    return (await this.call('listing ReplicaSets', () => this.apps.listNamespacedReplicaSet({ namespace, labelSelector }))).items;
  }

  async pods(namespace: string, labelSelector: string): Promise<V1Pod[]> {
    return (await this.call('listing Pods', () => this.core.listNamespacedPod({ namespace, labelSelector }))).items;
  }

  async services(namespace: string, labelSelector: string): Promise<V1Service[]> {
    return (await this.call('listing Services', () => this.core.listNamespacedService({ namespace, labelSelector }))).items;
  }

  async configMaps(namespace: string, labelSelector: string): Promise<KubernetesObject[]> {
    return (await this.call('listing ConfigMaps', () => this.core.listNamespacedConfigMap({ namespace, labelSelector }))).items;
  }

  async secrets(namespace: string, labelSelector: string): Promise<KubernetesObject[]> {
    return (await this.call('listing Secrets', () => this.core.listNamespacedSecret({ namespace, labelSelector }))).items;
  }

  async events(namespace: string): Promise<CoreV1Event[]> {
    return (await this.call('listing Events', () => this.core.listNamespacedEvent({ namespace }))).items;
  }

  /** One merge patch of the selector: the Service switches in one write (atomic for its Endpoints); a key set to null is removed. */
  async setSelector(namespace: string, name: string, selector: Record<string, string | null>, annotations?: Record<string, string>): Promise<void> {
    const body = { ...(annotations === undefined ? {} : { metadata: { annotations } }), spec: { selector } };
    await this.call(`switching Service ${name}`, () => this.core.patchNamespacedService({ name, namespace, body }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch)));
  }

  /** A merge patch of a Service's annotations only. */
  async annotateService(namespace: string, name: string, annotations: Record<string, string>): Promise<void> {
    await this.call(`annotating Service ${name}`, () => this.core.patchNamespacedService({ name, namespace, body: { metadata: { annotations } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch)));
  }

  async scale(namespace: string, name: string, replicas: number): Promise<void> {
    await this.call(`scaling Deployment ${name}`, () => this.apps.patchNamespacedDeploymentScale({ name, namespace, body: { spec: { replicas } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch)));
  }

  /** The pod's last `tailLines` lines (`previous`: of its last terminated container); none when it has no container yet (or is gone). */
  async podLog(namespace: string, name: string, tailLines: number, previous = false): Promise<string[]> {
    try {
      const text = await this.core.readNamespacedPodLog({ name, namespace, tailLines, previous });
      return text.split('\n').filter((line, i, all) => line !== '' || i < all.length - 1);
    } catch (e: unknown) {
      if (e instanceof ApiException && (e.code === 400 || e.code === 404)) return [];
      throw this.wrap(`reading the log of pod ${name}`, e);
    }
  }

  private async read<T>(what: string, call: () => Promise<T>): Promise<T | undefined> {
    try {
      return await call();
    } catch (e: unknown) {
      if (e instanceof ApiException && e.code === 404) return undefined;
      throw this.wrap(what, e);
    }
  }

  private async call<T>(what: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (e: unknown) {
      throw this.wrap(what, e);
    }
  }

  private wrap(what: string, e: unknown): TargetError {
    if (e instanceof ApiException) {
      const body: unknown = typeof e.body === 'string' ? safeJson(e.body) : e.body;
      const message = (body as { message?: unknown } | undefined)?.message;
      const said = typeof message === 'string' ? message : `HTTP ${e.code}`;
      return new TargetError(e.code === 409 ? 'CONFLICT' : 'TARGET_ERROR', `${this.label}: ${what} failed: ${said}`, {
        cause: e,
        retryable: e.code === 409 || e.code === 429 || e.code >= 500,
        hint: e.code === 401 || e.code === 403 ? "Check the target's credentials secret (a kubeconfig or token) and its rights in the namespace." : 'The API server refused it; the message is its own.',
      });
    }
    const reason = e instanceof Error ? e.message : String(e);
    return new TargetError('TARGET_ERROR', `${this.label}: ${what} failed: ${reason}`, { cause: e, retryable: true, hint: "Check that the cluster's API server is reachable from the control plane." });
  }
}

/** Whether a KubeApi error was the API server's 403: the credentials may not do this (a namespaced service account and the Namespace object). */
export function isForbidden(e: unknown): boolean {
  return e instanceof TargetError && e.cause instanceof ApiException && e.cause.code === 403;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * A typed object read through the client (Dates, renamed fields) back as the API's JSON, by its
 * kind (list items carry none, so it is given).
 */
export function plainObject(object: object, apiVersion: string, kind: string): Record<string, unknown> {
  return yaml.load(dumpYaml({ ...object, apiVersion, kind })) as Record<string, unknown>;
}
