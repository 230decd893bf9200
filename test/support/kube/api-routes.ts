import type { ServerResponse } from 'node:http';
import { RESOURCES, type ClusterState, type Resource } from './cluster-state.js';
import { ApiError } from './api-status.js';
import { fieldSelector, labelSelector } from './api-selectors.js';
import type { ObjectWrites, Target } from './api-writes.js';
import { deleteObject, type PodDeletion } from './api-delete.js';
import type { PodLogSource } from './api-pod-logs.js';
import { managerOf, parseBody, patched } from './api-request-body.js';
import { routeSubresource } from './api-subresources.js';
import { startWatch } from './watch-stream.js';
import { isMap } from './api-field-set.js';

export interface ResourceRequest extends Target {
  readonly method: string;
  readonly subresource?: string;
  readonly query: URLSearchParams;
  readonly contentType: string;
  readonly body: string;
  readonly userAgent: string;
}

export interface RouteContext {
  readonly state: ClusterState;
  readonly writes: ObjectWrites;
  readonly logs: PodLogSource;
  readonly bookmarkIntervalMs: number;
  /** A kubelet runs: deleted pods are marked and it removes them (api-delete.ts). */
  readonly gracefulPodDeletion: boolean;
  /** Keeps a long response (watch, followed log) until the server stops; the callback ends it. */
  track(end: () => void): () => void;
}

export type Reply = { status: number; body: unknown } | 'streaming';

function list(context: RouteContext, request: ResourceRequest): Reply {
  const info = RESOURCES[request.resource];
  const selectors = [labelSelector(request.query.get('labelSelector')), fieldSelector(request.query.get('fieldSelector'))];
  const rv = request.query.get('resourceVersion');
  if (request.query.get('resourceVersionMatch') === 'Exact' && rv !== null && Number(rv) < context.state.resourceVersion) {
    throw new ApiError('Expired', `too old resource version: ${rv} (${context.state.resourceVersion})`);
  }
  const items = context.state.list(request.resource, request.namespace).filter((o) => selectors.every((s) => s(o)));
  return { status: 200, body: { kind: `${info.kind}List`, apiVersion: info.apiVersion, metadata: { resourceVersion: String(context.state.resourceVersion) }, items } };
}

function watch(context: RouteContext, request: ResourceRequest, res: ServerResponse): Reply {
  const timeout = Number(request.query.get('timeoutSeconds') ?? '1800');
  const selectors = [labelSelector(request.query.get('labelSelector')), fieldSelector(request.query.get('fieldSelector'))];
  let untrack = (): void => undefined;
  const end = startWatch(
    context.state,
    {
      resource: request.resource,
      namespace: request.namespace,
      selectors,
      resourceVersion: request.query.get('resourceVersion'),
      bookmarks: request.query.get('allowWatchBookmarks') === 'true',
      bookmarkIntervalMs: context.bookmarkIntervalMs,
      timeoutSeconds: Number.isFinite(timeout) && timeout > 0 ? timeout : 1800,
    },
    res,
    () => untrack(),
  );
  untrack = context.track(end);
  return 'streaming';
}

/** One request on a resource path: list, watch, CRUD, patches, apply, subresources. */
export function routeResource(context: RouteContext, request: ResourceRequest, res: ServerResponse): Reply {
  const { method, query } = request;
  if (request.subresource !== undefined) return routeSubresource(context, request, res);
  if (request.name === undefined) {
    if (method === 'GET' && query.get('watch') === 'true') return watch(context, request, res);
    if (method === 'GET') return list(context, request);
    if (method === 'POST') {
      if (RESOURCES[request.resource].namespaced && request.namespace === undefined) throw new ApiError('NotFound', `${request.resource} must be created in a namespace: POST /…/namespaces/{namespace}/${request.resource}`);
      return { status: 201, body: context.writes.forRequest(query).create(request, parseBody(request), managerOf(request)) };
    }
    throw new ApiError('MethodNotAllowed', `${method} is not allowed on a collection of ${request.resource}`);
  }
  switch (method) {
    case 'GET':
      return { status: 200, body: context.writes.current(request) };
    case 'PUT':
      return { status: 200, body: context.writes.forRequest(query).replace(request, parseBody(request), managerOf(request)) };
    case 'DELETE':
      if (query.get('dryRun') === 'All') return { status: 200, body: context.writes.current(request) };
      return { status: 200, body: deleteObject(context.state, request, query.get('propagationPolicy') ?? fromDeleteOptions(request.body, 'propagationPolicy'), podDeletion(context, request)) };
    case 'PATCH': {
      const body = parseBody(request);
      if (request.contentType === 'application/apply-patch+yaml') {
        const manager = query.get('fieldManager');
        if (!manager) throw new ApiError('BadRequest', 'PATCH with application/apply-patch+yaml requires a fieldManager query parameter');
        if (!isMap(body) || typeof body.apiVersion !== 'string' || typeof body.kind !== 'string') throw new ApiError('BadRequest', 'an apply configuration must set apiVersion and kind (Object \'Kind\' is missing)');
        const existed = context.state.get(request.resource, request.namespace, request.name) !== undefined;
        return { status: existed ? 200 : 201, body: context.writes.forRequest(query).apply(request, body, manager, query.get('force') === 'true') };
      }
      const current = context.writes.current(request);
      const next = patched(request, current, body);
      if (!isMap(next) || !isMap(next.metadata)) throw new ApiError('Invalid', `the patch leaves ${request.resource} "${request.name}" without metadata`);
      const rv = next.metadata.resourceVersion;
      const expect = isMap(body) && isMap(body.metadata) && typeof rv === 'string' && 'resourceVersion' in body.metadata ? rv : undefined;
      return { status: 200, body: context.writes.forRequest(request.query).write(request, current, next as typeof current, managerOf(request), expect) };
    }
    default:
      throw new ApiError('MethodNotAllowed', `${method} is not allowed on ${request.resource}/${request.name}`);
  }
}

/** client-node may send DeleteOptions in the body rather than the query. */
function fromDeleteOptions(body: string, field: string): string | null {
  try {
    const options = JSON.parse(body) as unknown;
    const value = isMap(options) ? options[field] : undefined;
    return typeof value === 'string' || typeof value === 'number' ? String(value) : null;
  } catch {
    return null;
  }
}

function podDeletion(context: RouteContext, request: ResourceRequest): PodDeletion {
  const grace = request.query.get('gracePeriodSeconds') ?? fromDeleteOptions(request.body, 'gracePeriodSeconds');
  return { graceful: context.gracefulPodDeletion, ...(grace !== null && /^\d+$/.test(grace) ? { gracePeriodSeconds: Number(grace) } : {}) };
}

export const isResource = (name: string | undefined): name is Resource => name !== undefined && name in RESOURCES;
