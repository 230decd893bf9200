import type { ServerResponse } from 'node:http';
import { ApiError } from './api-status.js';
import { mergePatch } from './api-patches.js';
import { scaleOf, withScale } from './api-scale.js';
import { servePodLogs } from './api-pod-logs.js';
import { isMap } from './api-field-set.js';
import { managerOf, parseBody, patched } from './api-request-body.js';
import type { Reply, ResourceRequest, RouteContext } from './api-routes.js';

/** pods/{name}/log, deployments/{name}/scale and {resource}/{name}/status. */
export function routeSubresource(context: RouteContext, request: ResourceRequest, res: ServerResponse): Reply {
  const { method, subresource: sub } = request;
  const manager = managerOf(request);
  if (sub === 'log' && request.resource === 'pods' && method === 'GET') {
    let untrack = (): void => undefined;
    const end = servePodLogs(context.state, context.logs, request.namespace ?? '', request.name ?? '', request.query, res, () => untrack());
    untrack = context.track(end);
    return 'streaming';
  }
  if (sub === 'scale' && request.resource === 'deployments') {
    const current = context.writes.current(request);
    if (method === 'GET') return { status: 200, body: scaleOf(current) };
    const body = parseBody(request);
    const scale = method === 'PUT' ? body : method === 'PATCH' ? (request.contentType === 'application/apply-patch+yaml' ? mergePatch(scaleOf(current), body) : patched(request, scaleOf(current), body)) : undefined;
    if (scale === undefined) throw new ApiError('MethodNotAllowed', `${method} is not allowed on deployments/scale`);
    const { next, resourceVersion } = withScale(current, scale);
    return { status: 200, body: scaleOf(context.writes.forRequest(request.query).write(request, current, next, manager, resourceVersion, 'scale')) };
  }
  if (sub === 'status' && request.resource in { deployments: 1, replicasets: 1, pods: 1, services: 1, namespaces: 1 }) {
    const current = context.writes.current(request);
    if (method === 'GET') return { status: 200, body: current };
    const body = parseBody(request);
    const wanted = method === 'PUT' ? body : method === 'PATCH' ? (request.contentType === 'application/apply-patch+yaml' ? mergePatch(current, body) : patched(request, current, body)) : undefined;
    if (!isMap(wanted)) throw new ApiError('MethodNotAllowed', `${method} is not allowed on ${request.resource}/status`);
    return { status: 200, body: context.writes.forRequest(request.query).write(request, current, { ...current, status: wanted.status }, manager, undefined, 'status') };
  }
  throw new ApiError('NotFound', `the server could not find the requested resource (${request.resource}/${sub ?? ''})`);
}

