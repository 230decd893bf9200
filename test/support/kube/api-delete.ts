import { RESOURCES, type ClusterState, type KubeObject, type Resource } from './cluster-state.js';
import { ApiError } from './api-status.js';
import { storeCall, type Target } from './api-writes.js';

/**
 * How a pod goes: with a kubelet running (the controllers), DELETE only marks it (deletionTimestamp,
 * its grace period) and the kubelet stops its containers and removes it, as on a real node; without
 * one, or with gracePeriodSeconds=0, it goes at once.
 */
export interface PodDeletion {
  readonly graceful: boolean;
  readonly gracePeriodSeconds?: number;
}

function remove(state: ClusterState, resource: Resource, object: KubeObject, pods: PodDeletion): KubeObject {
  const { namespace, name } = object.metadata;
  const current = state.get(resource, namespace, name);
  if (!current) return object;
  const spec = (current.spec ?? {}) as { terminationGracePeriodSeconds?: number };
  const grace = pods.gracePeriodSeconds ?? spec.terminationGracePeriodSeconds ?? 30;
  if (resource !== 'pods' || !pods.graceful || grace <= 0) return state.delete(resource, namespace, name);
  if (current.metadata.deletionTimestamp !== undefined) return current;
  const at = new Date(Date.now() + grace * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
  return state.update('pods', { ...current, metadata: { ...current.metadata, deletionTimestamp: at, deletionGracePeriodSeconds: grace } });
}

export type PropagationPolicy = 'Foreground' | 'Background' | 'Orphan';

const NAMESPACED = (Object.keys(RESOURCES) as Resource[]).filter((r) => RESOURCES[r].namespaced);

/** The objects whose ownerReferences name `owner`'s uid (a Deployment's ReplicaSets, a ReplicaSet's Pods). */
function dependentsOf(state: ClusterState, owner: KubeObject): Array<{ resource: Resource; object: KubeObject }> {
  const out: Array<{ resource: Resource; object: KubeObject }> = [];
  for (const resource of NAMESPACED) {
    for (const object of state.list(resource, owner.metadata.namespace)) {
      if (object.metadata.ownerReferences?.some((ref) => ref.uid === owner.metadata.uid)) out.push({ resource, object });
    }
  }
  return out;
}

/**
 * DELETE with the garbage collector's part done at once: Background and Foreground both remove the
 * owner's dependents by ownerReferences, recursively (Foreground before the owner, Background after,
 * the order their watchers see); Orphan leaves them. Deleting a namespace removes what is in it.
 * A real cluster does the dependents' part asynchronously; here it is done before the answer.
 */
export function deleteObject(state: ClusterState, target: Target, policy: string | null, pods: PodDeletion = { graceful: false }): KubeObject {
  const propagation = (policy ?? 'Background') as PropagationPolicy;
  if (!['Foreground', 'Background', 'Orphan'].includes(propagation)) {
    throw new ApiError('BadRequest', `propagationPolicy "${String(policy)}" is not Foreground, Background or Orphan`);
  }
  const name = target.name ?? '';
  const owner = state.get(target.resource, target.namespace, name);
  if (!owner) throw new ApiError('NotFound', `${target.resource} "${name}" not found`, { name, kind: target.resource });
  const cascade = (object: KubeObject): void => {
    if (propagation === 'Orphan') return;
    for (const dependent of dependentsOf(state, object)) removeTree(dependent.resource, dependent.object);
  };
  const removeTree = (resource: Resource, object: KubeObject): void => {
    if (propagation === 'Foreground') cascade(object);
    if (state.get(resource, object.metadata.namespace, object.metadata.name)) remove(state, resource, object, pods);
    if (propagation === 'Background') cascade(object);
  };
  if (target.resource === 'namespaces') {
    for (const resource of NAMESPACED) for (const inside of state.list(resource, name)) remove(state, resource, inside, pods);
  }
  if (propagation === 'Foreground') cascade(owner);
  const gone = storeCall(target, name, () => remove(state, target.resource, owner, pods));
  if (propagation === 'Background') cascade(owner);
  return gone;
}
