import type { ClusterState } from '../cluster-state.js';
import { controllerOf, requestPodDeletion } from './kube-util.js';

const OWNER_RESOURCE = { Deployment: 'deployments', ReplicaSet: 'replicasets' } as const;

/** The garbage collector's background propagation: ReplicaSets and Pods whose controller is gone are deleted. */
export function collectGarbage(state: ClusterState): void {
  for (const resource of ['replicasets', 'pods'] as const) {
    for (const object of state.list(resource)) {
      const owner = controllerOf(object);
      const ownerResource = owner ? OWNER_RESOURCE[owner.kind as keyof typeof OWNER_RESOURCE] : undefined;
      if (!owner || !ownerResource) continue;
      if (state.get(ownerResource, object.metadata.namespace, owner.name)?.metadata.uid === owner.uid) continue;
      if (resource === 'pods') requestPodDeletion(state, object.metadata.namespace ?? 'default', object.metadata.name);
      else state.delete('replicasets', object.metadata.namespace, object.metadata.name);
    }
  }
}
