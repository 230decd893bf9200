import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ServerContext } from '../context.js';
import type { ApiRoute } from '../openapi/api-route.js';
import { openApiDocument } from '../openapi/document.js';

export const metaApi: readonly ApiRoute[] = [
  { method: 'GET', url: '/healthz', operationId: 'health', tag: 'meta', summary: 'Liveness: answers while the server runs (no token)', response: z.object({ status: z.literal('ok') }) },
  { method: 'GET', url: '/api/v1/openapi.json', operationId: 'openApi', tag: 'meta', summary: 'This document (no token)' },
  { method: 'GET', url: '/api/v1/version', operationId: 'version', tag: 'meta', summary: "The server's version and Node's", response: z.object({ version: z.string(), node: z.string() }) },
  { method: 'GET', url: '/api/v1/whoami', operationId: 'whoami', tag: 'meta', summary: 'Who the token belongs to and the roles it holds', response: z.object({ user: z.string().nullable(), email: z.string().nullable(), roles: z.array(z.string()) }) },
  { method: 'POST', url: '/api/v1/sources/notify', operationId: 'notifySources', tag: 'sources', summary: 'Look at the branch heads now (the post-receive hook calls it)', status: 202, response: z.object({ accepted: z.literal(true) }) },
];

export function metaRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  // Public, as /healthz is: what the API accepts and answers is no secret (docs/api.md#openapi).
  app.get('/api/v1/openapi.json', async () => openApiDocument());
  app.get('/api/v1/version', async () => ({ version: ctx.version, node: process.versions.node }));
  app.get('/api/v1/whoami', async (request) => ({ user: request.principal?.user ?? null, email: request.principal?.email ?? null, roles: request.principal?.roles ?? [] }));

  /** Called by the post-receive hook: look at the branch heads now rather than at the next poll. */
  app.post('/api/v1/sources/notify', async (_request, reply) => {
    ctx.notifySource();
    return reply.status(202).send({ accepted: true });
  });
}
