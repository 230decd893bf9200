import { randomBytes } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { AlreadyExistsError, ConflictError, NotFoundError, RESOURCES, type ClusterState, type KubeObject, type Resource } from './cluster-state.js';
import { ApiError } from './api-status.js';
import { isMap } from './api-field-set.js';
import { recordUpdate } from './api-managed-fields.js';
import { applyDefaults } from './api-defaults.js';
import { validateObject } from './validate-object.js';
import { serverSideApply } from './apply-patch.js';

/** The real server skips the write of an update that changes nothing: no new resourceVersion, no MODIFIED event. */
function unchanged(previous: KubeObject, next: KubeObject): boolean {
  const strip = (o: KubeObject): KubeObject => ({ ...o, metadata: { ...o.metadata, resourceVersion: '', generation: 0 } });
  return isDeepStrictEqual(JSON.parse(JSON.stringify(strip(previous))), JSON.parse(JSON.stringify(strip(next))));
}

/** Where a request points: a resource, its namespace (namespaced resources) and maybe one name. */
export interface Target {
  readonly resource: Resource;
  readonly namespace: string | undefined;
  readonly name?: string;
}

/** The resources whose `status` only the status subresource writes (a PUT of the object keeps it). */
const HAS_STATUS = new Set<Resource>(['deployments', 'replicasets', 'pods', 'services', 'namespaces']);

export function notFound(target: Target, name = target.name ?? ''): ApiError {
  return new ApiError('NotFound', `${target.resource} "${name}" not found`, { name, kind: target.resource });
}

/** ClusterState's errors as the Status the real server answers with. */
export function storeCall<T>(target: Target, name: string, call: () => T): T {
  try {
    return call();
  } catch (error: unknown) {
    if (error instanceof NotFoundError) throw notFound(target, name);
    if (error instanceof AlreadyExistsError) throw new ApiError('AlreadyExists', `${target.resource} "${name}" already exists`, { name, kind: target.resource });
    if (error instanceof ConflictError) throw new ApiError('Conflict', error.message, { name, kind: target.resource });
    throw error;
  }
}

/**
 * The API server's write path, in the real server's order: the body is checked against the URL,
 * field ownership recorded, defaults filled in, the result validated, then stored (optimistic
 * concurrency on metadata.resourceVersion). Nothing is stored when any step refuses.
 */
export class ObjectWrites {
  /** `dryRun`: every check runs and the answer is what would be stored, but nothing is (`?dryRun=All`). */
  constructor(
    private readonly state: ClusterState,
    private readonly dryRun = false,
  ) {}

  /** The same writes for one request: dry when its query says dryRun=All. */
  forRequest(query: URLSearchParams): ObjectWrites {
    return query.get('dryRun') === 'All' ? new ObjectWrites(this.state, true) : this;
  }

  private checkBody(target: Target, body: unknown): KubeObject {
    const info = RESOURCES[target.resource];
    if (!isMap(body) || !isMap(body.metadata)) throw new ApiError('BadRequest', `the body must be a ${info.kind} object with metadata`);
    const object = structuredClone(body) as KubeObject;
    if (object.kind !== undefined && object.kind !== info.kind) throw new ApiError('BadRequest', `the body is a ${String(object.kind)}, the URL names ${target.resource} (${info.kind})`);
    if (object.apiVersion !== undefined && object.apiVersion !== info.apiVersion) throw new ApiError('BadRequest', `the body's apiVersion "${String(object.apiVersion)}" is not ${info.apiVersion}`);
    object.kind = info.kind;
    object.apiVersion = info.apiVersion;
    const ns = object.metadata.namespace;
    if (info.namespaced) {
      if (ns !== undefined && ns !== target.namespace) throw new ApiError('BadRequest', `the namespace of the provided object (${ns}) does not match the namespace sent on the request (${target.namespace ?? ''})`);
      object.metadata.namespace = target.namespace;
    } else delete object.metadata.namespace;
    if (target.name !== undefined && object.metadata.name !== target.name) {
      throw new ApiError('BadRequest', `the name of the object (${String(object.metadata.name)}) does not match the name on the URL (${target.name})`);
    }
    return object;
  }

  private store(target: Target, next: KubeObject, previous: KubeObject | undefined, expectVersion?: string): KubeObject {
    applyDefaults(this.state, target.resource, next, previous);
    validateObject(target.resource, next, previous);
    if (previous === undefined) {
      if (RESOURCES[target.resource].namespaced && !this.state.get('namespaces', undefined, target.namespace ?? '')) {
        throw new ApiError('NotFound', `namespaces "${target.namespace ?? ''}" not found`, { name: target.namespace ?? '', kind: 'namespaces' });
      }
      if (this.dryRun && this.state.get(target.resource, target.namespace, next.metadata.name)) throw new ApiError('AlreadyExists', `${target.resource} "${next.metadata.name}" already exists`, { name: next.metadata.name, kind: target.resource });
      if (this.dryRun) return next;
      return storeCall(target, next.metadata.name, () => this.state.create(target.resource, next));
    }
    if (unchanged(previous, next) && (expectVersion === undefined || expectVersion === previous.metadata.resourceVersion)) return previous;
    if (this.dryRun) {
      if (expectVersion !== undefined && expectVersion !== previous.metadata.resourceVersion) throw new ApiError('Conflict', `Operation cannot be fulfilled on ${target.resource} "${next.metadata.name}": the object has been modified`, { name: next.metadata.name, kind: target.resource });
      return next;
    }
    return storeCall(target, next.metadata.name, () => this.state.update(target.resource, next, expectVersion));
  }

  create(target: Target, body: unknown, manager: string): KubeObject {
    const object = this.checkBody(target, body);
    const generate = object.metadata.generateName;
    if ((object.metadata.name ?? '') === '' && typeof generate === 'string') object.metadata.name = `${generate}${randomBytes(3).toString('hex').slice(0, 5)}`;
    for (const kept of ['uid', 'resourceVersion', 'creationTimestamp', 'generation', 'managedFields'] as const) delete object.metadata[kept];
    recordUpdate(undefined, object, manager);
    return this.store(target, object, undefined);
  }

  replace(target: Target, body: unknown, manager: string, subresource?: 'status'): KubeObject {
    const next = this.checkBody(target, body);
    const current = this.current(target);
    const expect = next.metadata.resourceVersion;
    if (subresource === 'status') {
      const onlyStatus = { ...current, status: next.status };
      return this.write(target, current, onlyStatus, manager, expect, subresource);
    }
    if (HAS_STATUS.has(target.resource)) next.status = current.status;
    return this.write(target, current, next, manager, expect);
  }

  /** Writes `next` over `current`: identity fields stay the server's; `expectVersion` is the client's optimistic lock. */
  write(target: Target, current: KubeObject, next: KubeObject, manager: string, expectVersion: string | undefined, subresource?: string): KubeObject {
    next.metadata = { ...next.metadata, name: current.metadata.name, uid: current.metadata.uid, creationTimestamp: current.metadata.creationTimestamp, managedFields: current.metadata.managedFields };
    if (current.metadata.namespace !== undefined) next.metadata.namespace = current.metadata.namespace;
    next.kind = current.kind;
    next.apiVersion = current.apiVersion;
    // Only the status subresource writes status; a patch of the object that carries one is ignored there, as on the real server.
    if (subresource === undefined && HAS_STATUS.has(target.resource)) next.status = current.status;
    recordUpdate(current, next, manager, subresource);
    return this.store(target, next, current, expectVersion === '' ? undefined : expectVersion);
  }

  apply(target: Target, body: unknown, manager: string, force: boolean): KubeObject {
    const applied = this.checkBody(target, body);
    const current = this.state.get(target.resource, target.namespace, target.name ?? '');
    const next = serverSideApply(current, applied, manager, force);
    next.kind = applied.kind;
    next.apiVersion = applied.apiVersion;
    if (current) {
      next.metadata.uid = current.metadata.uid;
      next.metadata.creationTimestamp = current.metadata.creationTimestamp;
      next.status = current.status;
    }
    const expect = applied.metadata.resourceVersion;
    return this.store(target, next, current, current && typeof expect === 'string' ? expect : undefined);
  }

  current(target: Target): KubeObject {
    const found = this.state.get(target.resource, target.namespace, target.name ?? '');
    if (!found) throw notFound(target);
    return found;
  }
}
