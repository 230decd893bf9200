import type { Endpoint, RouteName } from '../target.js';
import { portOf, type KubeContext } from './revision-objects.js';

/**
 * Where a route's Service is reached: the configured endpoint template (a load balancer or ingress
 * in front of the cluster); else a LoadBalancer Service's address; else the Service's cluster DNS
 * name, reachable only from inside the cluster (a NodePort's node addresses are not known to be
 * reachable from the control plane either).
 */
export async function serviceEndpoint(c: KubeContext, route: { environment: string; service: string; route: RouteName; name: string }): Promise<Endpoint> {
  const template = c.target.endpoint;
  if (template !== undefined) {
    const url = template.replaceAll('{service}', route.service).replaceAll('{route}', route.route).replaceAll('{environment}', route.environment);
    return { url: url.replace(/\/$/, ''), reachableFrom: 'control-plane' };
  }
  const port = portOf(c, route.service);
  if (c.target.serviceType === 'LoadBalancer') {
    const svc = await c.api.readService(c.target.namespace, route.name);
    const ingress = svc?.status?.loadBalancer?.ingress?.[0];
    const host = ingress?.ip ?? ingress?.hostname;
    const servicePort = svc?.spec?.ports?.[0]?.port ?? port;
    if (host !== undefined) return { url: `http://${host.includes(':') ? `[${host}]` : host}:${servicePort}`, reachableFrom: 'control-plane' };
  }
  return { url: `http://${route.name}.${c.target.namespace}.svc.cluster.local:${port}`, reachableFrom: 'target' };
}
