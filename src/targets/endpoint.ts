import { TargetError } from '../errors/index.js';
import type { Endpoint, RouteName, ServiceStatus } from './target.js';

/**
 * The URL the control plane's own checks call for a route, or a clear refusal when the route is
 * reachable only from inside the target: every Target's `url()` is this over its `endpoint()`.
 */
export function controlPlaneUrl(endpoint: Endpoint, target: string, environment: string, service: string, route: RouteName): string {
  if (endpoint.reachableFrom === 'control-plane') return endpoint.url;
  throw new TargetError('TARGET_ENDPOINT_UNREACHABLE', `the ${route} route of ${environment}/${service} on target ${target} (${endpoint.url}) is reachable only from inside the target`, {
    where: `${environment}/${service} (${route})`,
    hint: 'Checks against it must run on the target itself; this version runs them from the control plane, so use a target whose routes the control plane reaches.',
  });
}

/** A route's endpoint as the target's own describe() reports it: every agent-backed target's `endpoint()`. */
export function describedEndpoint(statuses: readonly ServiceStatus[], target: string, environment: string, service: string, route: RouteName): Endpoint {
  const endpoint = statuses.find((s) => s.service === service)?.endpoints?.[route];
  if (endpoint === undefined) throw new TargetError('NOT_FOUND', `${environment}/${service} has no ${route} route on target ${target}`);
  return endpoint;
}
