import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { RESOURCES, type ClusterState } from './cluster-state.js';
import { ApiError, failureStatus } from './api-status.js';
import { ObjectWrites } from './api-writes.js';
import { isResource, routeResource, type ResourceRequest, type RouteContext } from './api-routes.js';
import { VERSION_INFO, apiGroupList, apiResourceList, apiVersions } from './api-discovery.js';
import type { PodLogSource } from './api-pod-logs.js';
import type { StandinTls } from './api-tls.js';

export interface ApiServerOptions {
  readonly state: ClusterState;
  readonly tls: StandinTls;
  /** The bearer token every request but /version and the health paths must carry. */
  readonly token: string;
  readonly logs: PodLogSource;
  /** How often an open watch that allows bookmarks gets one (the real server: about a minute). */
  readonly bookmarkIntervalMs?: number;
  /** A kubelet (the controllers) finishes pod deletions; without one, DELETE removes pods at once. */
  readonly gracefulPodDeletion?: boolean;
}

export interface ApiServer {
  readonly url: string;
  /** Ends every watch and followed log, then closes the server. */
  stop(): Promise<void>;
}

const MAX_BODY = 3 * 1024 * 1024; // etcd's request limit, as the real server's.
const OPEN_PATHS = new Set(['/version', '/healthz', '/livez', '/readyz']);

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) reject(new ApiError('BadRequest', `the request body is larger than ${MAX_BODY} bytes`));
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function authorized(req: IncomingMessage, token: string): boolean {
  const given = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** `/api/v1/namespaces/ns/pods/name/log` → its parts; undefined for a path that is not a resource's. */
function resourcePath(path: string): Omit<ResourceRequest, 'method' | 'query' | 'contentType' | 'body' | 'userAgent'> | undefined {
  const group = /^\/(?:api\/v1|apis\/apps\/v1)\/(.+)$/.exec(path);
  if (!group?.[1]) return undefined;
  const apiVersion = path.startsWith('/api/v1/') ? 'v1' : 'apps/v1';
  let parts = group[1].split('/').filter(Boolean).map(decodeURIComponent);
  let namespace: string | undefined;
  if (parts[0] === 'namespaces' && parts.length >= 3) {
    namespace = parts[1];
    parts = parts.slice(2);
  }
  const [resource, name, subresource, ...rest] = parts;
  if (!isResource(resource) || RESOURCES[resource].apiVersion !== apiVersion || rest.length > 0) return undefined;
  if (namespace !== undefined && !RESOURCES[resource].namespaced) return undefined;
  return { resource, namespace: RESOURCES[resource].namespaced ? namespace : undefined, ...(name !== undefined ? { name } : {}), ...(subresource !== undefined ? { subresource } : {}) };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * The stand-in's kube-apiserver: HTTPS on 127.0.0.1 (a free port) with its own CA, bearer-token
 * auth, discovery, and the REST paths of the resources in RESOURCES (see api-routes.ts).
 */
export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const streams = new Set<() => void>();
  const context: RouteContext = {
    state: options.state,
    writes: new ObjectWrites(options.state),
    logs: options.logs,
    bookmarkIntervalMs: options.bookmarkIntervalMs ?? 5_000,
    gracefulPodDeletion: options.gracefulPodDeletion ?? false,
    track(end) {
      streams.add(end);
      return () => streams.delete(end);
    },
  };
  let address = '127.0.0.1';
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'https://standin');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    if (!OPEN_PATHS.has(path) && !authorized(req, options.token)) throw new ApiError('Unauthorized', 'Unauthorized');
    if (path === '/version') return sendJson(res, 200, VERSION_INFO);
    if (OPEN_PATHS.has(path)) return void res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    if (path === '/api') return sendJson(res, 200, apiVersions(address));
    if (path === '/apis') return sendJson(res, 200, apiGroupList());
    if (path === '/api/v1') return sendJson(res, 200, apiResourceList('v1'));
    if (path === '/apis/apps/v1') return sendJson(res, 200, apiResourceList('apps/v1'));
    const target = resourcePath(path);
    if (!target) throw new ApiError('NotFound', `the server could not find the requested resource (${req.method ?? 'GET'} ${path})`);
    const body = await readBody(req);
    const contentType = (req.headers['content-type'] ?? 'application/json').split(';')[0]?.trim() ?? '';
    const reply = routeResource(context, { ...target, method: req.method ?? 'GET', query: url.searchParams, contentType, body, userAgent: req.headers['user-agent'] ?? '' }, res);
    if (reply !== 'streaming') sendJson(res, reply.status, reply.body);
  };
  const server: Server = createServer({ key: options.tls.keyPem, cert: options.tls.certPem }, (req, res) => {
    handle(req, res).catch((error: unknown) => {
      // Anything not an ApiError is a stand-in bug: answered as a 500 Status so the test sees it, never a dropped connection.
      const status = error instanceof ApiError ? error.toStatus() : { ...failureStatus('BadRequest', `stand-in internal error: ${(error as Error).message}`), code: 500, reason: 'InternalError' };
      if (res.headersSent) res.end();
      else sendJson(res, status.code, status);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  address = `127.0.0.1:${port}`;
  return {
    url: `https://127.0.0.1:${port}`,
    async stop() {
      for (const end of [...streams]) end();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
