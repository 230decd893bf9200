import type { FastifyInstance } from 'fastify';
import { waitingForPeople } from '../../engine/awaiting-decision.js';
import { MetricsExporter } from '../../metrics/exporter.js';
import type { ServerContext } from '../context.js';
import type { ApiRoute } from '../openapi/api-route.js';

export const metricsApi: readonly ApiRoute[] = [
  { method: 'GET', url: '/metrics', operationId: 'metrics', tag: 'meta', summary: 'Prometheus exposition (the same bearer token as the API)', content: ['text/plain'] },
];

/**
 * Prometheus exposition. It takes the same bearer token as the API (the app's onRequest hook):
 * the figures name services, environments and failure rates, and Prometheus sends a token with
 * `authorization: { credentials_file: … }` in its scrape config, so nothing argues for an open route.
 */
export function metricsRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const exporter = new MetricsExporter({ store: ctx.store, clock: ctx.clock, environments: () => Object.values(ctx.config().environments), waiting: () => waitingForPeople(ctx.store), ...(ctx.routerTraffic ? { routerTraffic: ctx.routerTraffic } : {}) });
  app.get('/metrics', async (_request, reply) => {
    const text = await exporter.metrics();
    return reply.type(exporter.contentType).send(text);
  });
}
