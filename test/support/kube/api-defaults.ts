import type { ClusterState, KubeObject, Resource } from './cluster-state.js';
import { isMap } from './api-field-set.js';

/**
 * What the real API server fills in before storing (its defaulting and registry strategies), for
 * the fields Gantry reads back: a Deployment's replicas, a Service's clusterIP (from 10.96.0.0/12,
 * kept on update), a Secret's stringData folded into base64 data.
 */
export function applyDefaults(state: ClusterState, resource: Resource, object: KubeObject, previous: KubeObject | undefined): void {
  const spec = isMap(object.spec) ? object.spec : undefined;
  if ((resource === 'deployments' || resource === 'replicasets') && spec && spec.replicas === undefined) spec.replicas = 1;
  if (resource === 'deployments' && spec) {
    spec.revisionHistoryLimit ??= 10;
    spec.progressDeadlineSeconds ??= 600;
    spec.strategy ??= { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } };
  }
  if (resource === 'services' && spec) {
    const old = previous && isMap(previous.spec) ? previous.spec.clusterIP : undefined;
    if (spec.clusterIP === undefined || spec.clusterIP === '') spec.clusterIP = old ?? allocateClusterIp(state);
    spec.type ??= 'ClusterIP';
  }
  if (resource === 'secrets' && isMap(object.stringData)) {
    const data = isMap(object.data) ? object.data : {};
    for (const [key, value] of Object.entries(object.stringData)) data[key] = Buffer.from(String(value)).toString('base64');
    object.data = data;
    delete object.stringData;
  }
  if (resource === 'secrets') object.type ??= 'Opaque';
}

function allocateClusterIp(state: ClusterState): string {
  const used = new Set(state.list('services').map((s) => (isMap(s.spec) ? s.spec.clusterIP : undefined)));
  for (let n = 10; n < 65_000; n += 1) {
    const ip = `10.96.${Math.floor(n / 254)}.${(n % 254) + 1}`;
    if (!used.has(ip)) return ip;
  }
  throw new Error('stand-in: service IP range exhausted');
}
