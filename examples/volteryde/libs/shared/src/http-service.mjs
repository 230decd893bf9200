// The shell every Volteryde service runs in: the routes Gantry relies on (GET /healthz for
// readiness, GET /version for which release is live, GET /metrics for Prometheus) plus the
// service's own routes. Routes are keyed "METHOD /path"; a handler gets { url, body, env } and
// returns { status?, json } or { status?, html } or { status?, text, type? }.
import { Buffer } from 'node:buffer';
import http from 'node:http';
import { createRequestMetrics } from './metrics.mjs';

const MAX_BODY_BYTES = 64 * 1024;

export class HttpError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** What a running revision says about itself. Gantry sets GANTRY_* in the revision's environment. */
export function identity(name, version, env) {
  return {
    service: name,
    version,
    release: env.GANTRY_RELEASE ?? null,
    revision: env.GANTRY_REVISION ?? null,
    environment: env.GANTRY_ENVIRONMENT ?? null,
  };
}

function readJsonBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) reject(new HttpError(413, 'request body too large'));
      else chunks.push(chunk);
    });
    req.on('end', () => {
      const text = chunks.map((c) => c.toString('utf8')).join('');
      if (text.trim() === '') return resolve(undefined);
      try {
        resolve(JSON.parse(text));
      } catch {
        reject(new HttpError(400, 'request body is not valid JSON'));
      }
    });
    req.on('error', reject);
  });
}

function send(res, method, status, reply) {
  const [type, body] =
    reply.json !== undefined
      ? ['application/json; charset=utf-8', JSON.stringify(reply.json)]
      : reply.html !== undefined
        ? ['text/html; charset=utf-8', reply.html]
        : [reply.type ?? 'text/plain; charset=utf-8', reply.text ?? ''];
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(method === 'HEAD' ? undefined : body);
}

export function createService({ name, version, env = {}, routes = {} }) {
  const metrics = createRequestMetrics(name);
  const table = {
    'GET /': () => ({ json: identity(name, version, env) }),
    ...routes,
    'GET /healthz': () => ({ json: { status: 'ok' } }),
    'GET /version': () => ({ json: identity(name, version, env) }),
    'GET /metrics': () => ({ text: metrics.render(), type: 'text/plain; version=0.0.4; charset=utf-8' }),
  };

  return http.createServer(async (req, res) => {
    const started = process.hrtime.bigint();
    const url = new URL(req.url ?? '/', 'http://service.local');
    const method = req.method === 'HEAD' ? 'GET' : (req.method ?? 'GET');
    const route = `${method} ${url.pathname}`;
    const handler = table[route];
    let status = 500;
    try {
      if (!handler) throw new HttpError(404, `no route ${route}`);
      const body = method === 'POST' || method === 'PUT' ? await readJsonBody(req) : undefined;
      const reply = await handler({ url, body, env });
      status = reply.status ?? 200;
      send(res, req.method, status, reply);
    } catch (error) {
      status = error instanceof HttpError ? error.status : 500;
      send(res, req.method, status, { json: { error: status === 500 ? 'internal error' : error.message } });
    } finally {
      metrics.observe(method, handler ? url.pathname : 'unmatched', status, Number(process.hrtime.bigint() - started) / 1e9);
    }
  });
}
