import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { GantryError } from '../errors/index.js';
import { authenticate } from './auth.js';
import { AuthThrottle, tooManyFailedLogins } from './auth-throttle.js';
import { authorize, PUBLIC_ROUTES } from './authorization.js';
import type { ServerContext } from './context.js';
import { dashboardRoutes, isDashboardPath } from './dashboard.js';
import { AccessLogController, registerAccessLog } from '../kernel/http/access-log.js';
import { errorHandler } from '../kernel/http/http-errors.js';
import { requestId } from '../kernel/http/request-id.js';
import { agentRoutes } from './routes/agents.js';
import { annotationRoutes } from './routes/annotations.js';
import { approvalRoutes } from './routes/approvals.js';
import { canaryRoutes } from './routes/canary.js';
import { auditRoutes } from './routes/audit.js';
import { backupRoutes } from './routes/backups.js';
import { configRoutes } from './routes/config.js';
import { doraRoutes } from './routes/dora.js';
import { githubRoutes } from './routes/github.js';
import { environmentRoutes } from './routes/environments.js';
import { environmentStatusRoutes } from './routes/environment-status.js';
import { serviceLogRoutes } from './routes/service-logs.js';
import { logRoutes } from './routes/logs.js';
import { notificationRoutes } from './routes/notifications.js';
import { tokenRoutes } from './routes/tokens.js';
import { metaRoutes } from './routes/meta.js';
import { metricsRoutes } from './routes/metrics.js';
import { pushCheckRoutes } from './routes/push-check.js';
import { runRoutes } from './routes/runs.js';
import { secretRoutes } from './routes/secrets.js';
import { streamRoutes } from './routes/stream.js';
import { GANTRY_VERSION_HEADER } from './version.js';

const BODY_LIMIT_BYTES = 64 * 1024;

/** Requests that log at debug when they succeed: probes every few seconds, and the dashboard's files. */
const quietPath = (path: string): boolean => path === '/healthz' || isDashboardPath(path);

/**
 * Fastify's typings leave out its numeric form (N hops), so a number becomes the function it stands
 * for: the addresses nearer than the Nth hop are the proxies to believe.
 */
function trustProxySetting(value: boolean | string | number | undefined): boolean | string | ((address: string, hop: number) => boolean) {
  if (value === undefined) return false;
  if (typeof value === 'number') return (_address, hop) => hop < value;
  return value;
}

/** The HTTP API. Built without listening, so tests drive it with `inject()` and the server binds it. */
export function buildApp(ctx: ServerContext): FastifyInstance {
  // Fastify logs through the server's logger: request.log carries the request id; our access line replaces its two per request.
  // Typed as Fastify's base logger so the app keeps the FastifyInstance type every route module takes.
  const loggerInstance: FastifyBaseLogger = ctx.logger;
  const app = Fastify({ loggerInstance, logController: new AccessLogController(), genReqId: requestId, trustProxy: trustProxySetting(ctx.trustProxy), bodyLimit: BODY_LIMIT_BYTES, return503OnClosing: true });
  app.setErrorHandler(errorHandler(ctx.logger));
  registerAccessLog(app, { quiet: quietPath });
  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send({ code: 'NOT_FOUND', message: `no route ${request.method} ${request.url.split('?')[0] ?? ''}`, hint: 'See docs/api.md for the routes.' });
  });
  // Before authentication, on the raw response, so that errors and hijacked streams carry it too: how the CLI knows it reached Gantry.
  app.addHook('onRequest', async (_request, reply) => {
    reply.raw.setHeader(GANTRY_VERSION_HEADER, ctx.version);
  });
  // Failed authentications are counted per client address; an address past the limit gets 429 for everything.
  const throttle = new AuthThrottle(ctx.clock);
  app.addHook('onRequest', async (request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    if (PUBLIC_ROUTES.has(path) || isDashboardPath(path)) return;
    const waitMs = throttle.blockedFor(request.ip);
    if (waitMs > 0) {
      const { retryAfterSeconds, body } = tooManyFailedLogins(waitMs);
      return reply.status(429).header('retry-after', String(retryAfterSeconds)).send(body);
    }
    const who = await authenticate(ctx.store, request.headers.authorization, ctx.clock.now());
    // request.ip is the client's address behind a trusted proxy (--trust-proxy), else the peer's.
    if (who === 'invalid' && throttle.recordFailure(request.ip)) await ctx.store.events.append('auth.blocked', 'gantry', null, { address: request.ip, seconds: Math.ceil(throttle.blockedFor(request.ip) / 1000) }, ctx.clock.now());
    if (who === 'missing') throw new GantryError('AUTH_REQUIRED', 'this request needs a token', { hint: 'Send `Authorization: Bearer <token>`; the CLI takes --token or GANTRY_TOKEN.' });
    if (who === 'invalid') throw new GantryError('AUTH_INVALID', 'the token is unknown, expired or revoked', { hint: 'Ask an admin for a new token.' });
    request.principal = who;
  });
  // Who may call which route: src/server/authorization.ts (docs/api.md#roles).
  app.addHook('preHandler', authorize(ctx));
  metaRoutes(app, ctx);
  runRoutes(app, ctx);
  logRoutes(app, ctx);
  environmentRoutes(app, ctx);
  environmentStatusRoutes(app, ctx);
  serviceLogRoutes(app, ctx);
  agentRoutes(app, ctx);
  approvalRoutes(app, ctx);
  canaryRoutes(app, ctx);
  backupRoutes(app, ctx);
  annotationRoutes(app, ctx);
  notificationRoutes(app, ctx);
  tokenRoutes(app, ctx);
  doraRoutes(app, ctx);
  metricsRoutes(app, ctx);
  auditRoutes(app, ctx);
  secretRoutes(app, ctx);
  githubRoutes(app, ctx);
  pushCheckRoutes(app, ctx);
  configRoutes(app, ctx);
  streamRoutes(app, ctx);
  void app.register((scope) => dashboardRoutes(scope, ctx.webRoot));
  return app;
}
