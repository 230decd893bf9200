import type { KubeObject } from './cluster-state.js';
import { ApiError } from './api-status.js';
import { isMap } from './api-field-set.js';

/** A Deployment's `scale` subresource as autoscaling/v1 Scale (what `kubectl scale` reads and writes). */
export function scaleOf(deployment: KubeObject): Record<string, unknown> {
  const spec = isMap(deployment.spec) ? deployment.spec : {};
  const status = isMap(deployment.status) ? deployment.status : {};
  const labels = isMap(spec.selector) && isMap(spec.selector.matchLabels) ? spec.selector.matchLabels : {};
  const { name, namespace, uid, resourceVersion, creationTimestamp } = deployment.metadata;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name, namespace, uid, resourceVersion, creationTimestamp },
    spec: { replicas: spec.replicas ?? 1 },
    status: { replicas: status.replicas ?? 0, selector: Object.entries(labels).map(([k, v]) => `${k}=${String(v)}`).join(',') },
  };
}

/** The Deployment with the replicas a Scale asks for; a Scale without an integer spec.replicas is Invalid. */
export function withScale(deployment: KubeObject, scale: unknown): { next: KubeObject; resourceVersion?: string } {
  const replicas = isMap(scale) && isMap(scale.spec) ? scale.spec.replicas : undefined;
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
    throw new ApiError('Invalid', `Scale "${deployment.metadata.name}" is invalid: spec.replicas: Invalid value: must be a non-negative integer`, {
      name: deployment.metadata.name,
      kind: 'Scale',
      causes: [{ reason: 'FieldValueInvalid', message: 'Invalid value: must be a non-negative integer', field: 'spec.replicas' }],
    });
  }
  const next = structuredClone(deployment);
  next.spec = { ...(isMap(next.spec) ? next.spec : {}), replicas };
  const rv = isMap(scale) && isMap(scale.metadata) ? scale.metadata.resourceVersion : undefined;
  return { next, ...(typeof rv === 'string' && rv !== '' ? { resourceVersion: rv } : {}) };
}
