import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../context.js';

export function metaRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/api/v1/version', async () => ({ version: ctx.version, node: process.versions.node }));
  app.get('/api/v1/whoami', async (request) => ({ user: request.principal?.user ?? null, email: request.principal?.email ?? null, roles: request.principal?.roles ?? [] }));

  /** Called by the post-receive hook: look at the branch heads now rather than at the next poll. */
  app.post('/api/v1/sources/notify', async (_request, reply) => {
    ctx.notifySource();
    return reply.status(202).send({ accepted: true });
  });
}
