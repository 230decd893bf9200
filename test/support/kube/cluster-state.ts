import { randomUUID } from 'node:crypto';

/**
 * The stand-in cluster's storage (etcd's part): every object of every resource, one global
 * resourceVersion that each write raises (etcd's revision), and the history of changes a watch
 * resumes from. The API server (api-server.ts) and the controllers and kubelet (controllers/*)
 * share one ClusterState in one process: the controllers write here directly, as the components
 * of a real control plane write through the API.
 *
 * Not shipped: it exists so the Kubernetes target's tests speak the real protocol on a machine
 * where no kube-apiserver can run.
 */

/** The resources the stand-in serves, by their REST name. */
export const RESOURCES = {
  namespaces: { apiVersion: 'v1', kind: 'Namespace', namespaced: false },
  pods: { apiVersion: 'v1', kind: 'Pod', namespaced: true },
  services: { apiVersion: 'v1', kind: 'Service', namespaced: true },
  configmaps: { apiVersion: 'v1', kind: 'ConfigMap', namespaced: true },
  secrets: { apiVersion: 'v1', kind: 'Secret', namespaced: true },
  events: { apiVersion: 'v1', kind: 'Event', namespaced: true },
  endpoints: { apiVersion: 'v1', kind: 'Endpoints', namespaced: true },
  deployments: { apiVersion: 'apps/v1', kind: 'Deployment', namespaced: true },
  replicasets: { apiVersion: 'apps/v1', kind: 'ReplicaSet', namespaced: true },
} as const;
export type Resource = keyof typeof RESOURCES;

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: Array<{ apiVersion: string; kind: string; name: string; uid: string; controller?: boolean }>;
  managedFields?: unknown[];
  [key: string]: unknown;
}

/** A Kubernetes object as JSON; each resource's own fields are checked by the API server's validation, not typed here. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface Change {
  readonly type: WatchEventType;
  readonly resource: Resource;
  /** The object after the change (for DELETED: as it was, with the deletion's resourceVersion). */
  readonly object: KubeObject;
  /** The resourceVersion this change made. */
  readonly version: number;
}

/** A write that lost a race: the caller's resourceVersion is not the stored one (HTTP 409 Conflict). */
export class ConflictError extends Error {}
/** A watch asked to resume from a version older than the kept history (HTTP 410 Gone, reason Expired). */
export class GoneError extends Error {}
export class NotFoundError extends Error {}
export class AlreadyExistsError extends Error {}

const clone = <T>(value: T): T => structuredClone(value);
const keyOf = (resource: Resource, namespace: string | undefined, name: string): string => `${resource}/${namespace ?? ''}/${name}`;

/** Fields other than metadata and status: a change there raises metadata.generation, as on a real API server. */
function specPart(object: KubeObject): string {
  const { metadata: _m, status: _s, ...rest } = object;
  return JSON.stringify(rest);
}

export interface ClusterStateOptions {
  /** Changes kept for watches to resume from; older versions answer 410 Gone (tests lower it to force that). */
  readonly historyLimit?: number;
}

export class ClusterState {
  private readonly objects = new Map<string, { resource: Resource; object: KubeObject }>();
  private readonly history: Change[] = [];
  private readonly listeners = new Set<(change: Change) => void>();
  private version = 1;
  private readonly historyLimit: number;

  constructor(options: ClusterStateOptions = {}) {
    this.historyLimit = options.historyLimit ?? 10_000;
  }

  /** The current resourceVersion (a list's metadata.resourceVersion). */
  get resourceVersion(): number {
    return this.version;
  }

  get(resource: Resource, namespace: string | undefined, name: string): KubeObject | undefined {
    const found = this.objects.get(keyOf(resource, namespace, name));
    return found ? clone(found.object) : undefined;
  }

  /** Objects of a resource, in one namespace or all, optionally only those whose labels include `labels`. */
  list(resource: Resource, namespace?: string, labels?: Readonly<Record<string, string>>): KubeObject[] {
    const out: KubeObject[] = [];
    for (const { resource: r, object } of this.objects.values()) {
      if (r !== resource) continue;
      if (namespace !== undefined && object.metadata.namespace !== namespace) continue;
      if (labels && !Object.entries(labels).every(([k, v]) => object.metadata.labels?.[k] === v)) continue;
      out.push(clone(object));
    }
    return out.sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  }

  create(resource: Resource, object: KubeObject): KubeObject {
    const key = keyOf(resource, object.metadata.namespace, object.metadata.name);
    if (this.objects.has(key)) throw new AlreadyExistsError(`${RESOURCES[resource].kind.toLowerCase()}s "${object.metadata.name}" already exists`);
    const stored = clone(object);
    stored.metadata.uid = randomUUID();
    stored.metadata.creationTimestamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    stored.metadata.generation = 1;
    return this.commit('ADDED', resource, key, stored);
  }

  /**
   * Replaces an object. With `expectVersion`, refuses (ConflictError) when the stored one has
   * another resourceVersion: optimistic concurrency, as a PUT with metadata.resourceVersion.
   */
  update(resource: Resource, object: KubeObject, expectVersion?: string): KubeObject {
    const key = keyOf(resource, object.metadata.namespace, object.metadata.name);
    const current = this.objects.get(key);
    if (!current) throw new NotFoundError(`${RESOURCES[resource].kind.toLowerCase()}s "${object.metadata.name}" not found`);
    if (expectVersion !== undefined && expectVersion !== current.object.metadata.resourceVersion) {
      throw new ConflictError(`Operation cannot be fulfilled on ${resource} "${object.metadata.name}": the object has been modified; please apply your changes to the latest version and try again`);
    }
    const stored = clone(object);
    const meta = current.object.metadata;
    stored.metadata.uid = meta.uid;
    stored.metadata.creationTimestamp = meta.creationTimestamp;
    stored.metadata.generation = (meta.generation ?? 1) + (specPart(stored) === specPart(current.object) ? 0 : 1);
    return this.commit('MODIFIED', resource, key, stored);
  }

  delete(resource: Resource, namespace: string | undefined, name: string): KubeObject {
    const key = keyOf(resource, namespace, name);
    const current = this.objects.get(key);
    if (!current) throw new NotFoundError(`${RESOURCES[resource].kind.toLowerCase()}s "${name}" not found`);
    this.objects.delete(key);
    const gone = clone(current.object);
    this.version += 1;
    gone.metadata.resourceVersion = String(this.version);
    this.record({ type: 'DELETED', resource, object: gone, version: this.version });
    return clone(gone);
  }

  /**
   * Changes after `since` (a resourceVersion), in order; GoneError when some of them are no longer
   * kept (the watch must list again).
   */
  changesSince(since: number): Change[] {
    const oldest = this.history[0]?.version ?? this.version + 1;
    if (since < this.version && since + 1 < oldest) throw new GoneError(`too old resource version: ${since} (${oldest - 1})`);
    return this.history.filter((c) => c.version > since).map(clone);
  }

  /** Calls `listener` for every change from now on; returns the unsubscribe. */
  subscribe(listener: (change: Change) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private commit(type: WatchEventType, resource: Resource, key: string, object: KubeObject): KubeObject {
    this.version += 1;
    object.metadata.resourceVersion = String(this.version);
    this.objects.set(key, { resource, object });
    this.record({ type, resource, object: clone(object), version: this.version });
    return clone(object);
  }

  private record(change: Change): void {
    this.history.push(change);
    if (this.history.length > this.historyLimit) this.history.splice(0, this.history.length - this.historyLimit);
    for (const listener of this.listeners) listener(clone(change));
  }
}
