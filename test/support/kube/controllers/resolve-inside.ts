import type { ClusterState } from '../cluster-state.js';
import type { ServicePort } from './endpoints-controller.js';
import type { LoadBalancers } from './load-balancer.js';

/**
 * What cluster DNS and kube-proxy do for a pod: `<svc>.<ns>.svc.cluster.local` (or `<svc>.<ns>.svc`,
 * `<svc>.<ns>`) or a clusterIP, at a service port, becomes a ready endpoint's 127.0.0.1:<pod port>.
 */
export function resolveInside(state: ClusterState, balancers: LoadBalancers, url: string): string {
  const parsed = new URL(url);
  const host = parsed.hostname;
  const port = Number(parsed.port || (parsed.protocol === 'https:' ? 443 : 80));
  const byName = /^([a-z0-9-]+)\.([a-z0-9-]+)(?:\.svc(?:\.cluster\.local)?)?$/.exec(host);
  const service = byName
    ? state.get('services', byName[2], byName[1] ?? '')
    : state.list('services').find((s) => (s['spec'] as { clusterIP?: string }).clusterIP === host);
  if (!service) throw new Error(`dial tcp: lookup ${host}: no such host`);
  const ports = (service['spec'] as { ports?: ServicePort[] }).ports ?? [];
  if (!ports.some((p) => p.port === port)) throw new Error(`dial tcp ${host}:${port}: connect: connection refused (the service has no port ${port})`);
  const target = balancers.pick(service.metadata.namespace ?? 'default', service.metadata.name);
  if (!target) throw new Error(`dial tcp ${host}:${port}: connect: connection refused (no ready endpoints)`);
  return `${parsed.protocol}//${target.ip}:${target.port}${parsed.pathname}${parsed.search}`;
}
