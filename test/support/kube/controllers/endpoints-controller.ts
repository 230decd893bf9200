import type { ClusterState, KubeObject } from '../cluster-state.js';
import { stableJson } from './kube-util.js';
import { isPodReady } from './replicaset-controller.js';

export const PORT_ANNOTATION = 'standin.gantry.dev/port';

export interface ServicePort {
  name?: string;
  port: number;
  targetPort?: number | string;
  nodePort?: number;
  protocol?: string;
}

export interface Endpoint {
  readonly pod: string;
  readonly ip: string;
  readonly port: number;
}

/**
 * A Service's backends: pods matching its selector, not being deleted, with a port, split into
 * ready and not ready. Every pod listens on its own port here (one machine), so that port stands
 * for every targetPort.
 */
export function serviceBackends(state: ClusterState, service: KubeObject): { ready: Endpoint[]; notReady: Endpoint[] } {
  const selector = (service['spec'] as { selector?: Record<string, string> } | undefined)?.selector;
  const ready: Endpoint[] = [];
  const notReady: Endpoint[] = [];
  if (!selector || Object.keys(selector).length === 0) return { ready, notReady };
  for (const pod of state.list('pods', service.metadata.namespace, selector)) {
    const port = Number(pod.metadata.annotations?.[PORT_ANNOTATION]);
    if (pod.metadata.deletionTimestamp !== undefined || !Number.isInteger(port) || port <= 0) continue;
    const phase = (pod['status'] as { phase?: string } | undefined)?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') continue;
    (isPodReady(pod) ? ready : notReady).push({ pod: pod.metadata.name, ip: '127.0.0.1', port });
  }
  return { ready, notReady };
}

/** The Endpoints controller: one Endpoints object per Service with a selector, a subset per pod port. */
export function syncEndpoints(state: ClusterState): void {
  for (const service of state.list('services')) {
    const namespace = service.metadata.namespace ?? 'default';
    const spec = service['spec'] as { selector?: Record<string, string>; ports?: ServicePort[] };
    if (!spec.selector || Object.keys(spec.selector).length === 0) continue;
    const { ready, notReady } = serviceBackends(state, service);
    const byPort = new Map<number, { addresses: unknown[]; notReadyAddresses: unknown[] }>();
    const address = (e: Endpoint): unknown => ({ ip: e.ip, nodeName: 'standin-node', targetRef: { kind: 'Pod', namespace, name: e.pod } });
    for (const [list, key] of [[ready, 'addresses'], [notReady, 'notReadyAddresses']] as const) {
      for (const e of list) {
        const subset = byPort.get(e.port) ?? { addresses: [], notReadyAddresses: [] };
        subset[key].push(address(e));
        byPort.set(e.port, subset);
      }
    }
    const subsets = [...byPort.entries()]
      .sort(([a], [b]) => a - b)
      .map(([port, s]) => ({
        ...(s.addresses.length ? { addresses: s.addresses } : {}),
        ...(s.notReadyAddresses.length ? { notReadyAddresses: s.notReadyAddresses } : {}),
        ports: (spec.ports ?? []).map((p) => ({ ...(p.name ? { name: p.name } : {}), port, protocol: p.protocol ?? 'TCP' })),
      }));
    const existing = state.get('endpoints', namespace, service.metadata.name);
    const body = { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: service.metadata.name, namespace, labels: { ...(service.metadata.labels ?? {}) } }, subsets };
    if (!existing) state.create('endpoints', body);
    else if (stableJson(existing['subsets'] ?? []) !== stableJson(subsets)) state.update('endpoints', { ...existing, subsets });
  }
  for (const endpoints of state.list('endpoints')) {
    if (!state.get('services', endpoints.metadata.namespace, endpoints.metadata.name)) state.delete('endpoints', endpoints.metadata.namespace, endpoints.metadata.name);
  }
}
