import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Delivery } from '../../store/repositories/notification-repository.js';
import type { ServerContext } from '../context.js';
import { parseInput } from '../../kernel/http/validate.js';
import { loadRun } from './runs.js';
import type { ApiRoute } from '../openapi/api-route.js';

const RunId = z.object({ id: z.coerce.number().int().positive() });

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** What the API shows of a delivery; last errors were redacted before they were stored. */
export function deliveryView(d: Delivery) {
  return {
    id: d.id,
    channel: d.channel,
    kind: d.kind,
    event: d.event,
    status: d.status,
    attempts: d.attempts,
    lastError: d.lastError,
    deliveryId: d.deliveryId,
    createdAt: iso(d.createdAt),
    deliveredAt: iso(d.deliveredAt),
  };
}

export const notificationApi: readonly ApiRoute[] = [
  {
    method: 'GET',
    url: '/api/v1/runs/:id/notifications',
    operationId: 'listRunNotifications',
    tag: 'runs',
    summary: "A run's notifications and incidents, in the order planned",
    params: RunId,
    response: z.object({
      notifications: z.array(
        z.object({
          id: z.number().int(),
          channel: z.string(),
          kind: z.string(),
          event: z.string(),
          status: z.string(),
          attempts: z.number().int(),
          lastError: z.string().nullable().describe('Redacted before it was stored.'),
          deliveryId: z.string(),
          createdAt: z.string().nullable(),
          deliveredAt: z.string().nullable(),
        }),
      ),
    }),
  },
];

export function notificationRoutes(app: FastifyInstance, ctx: ServerContext): void {
  /** The notifications and incidents of a run, in the order they were planned: a failed one shows why. */
  app.get('/api/v1/runs/:id/notifications', async (request) => {
    const { id } = parseInput(RunId, request.params, 'path');
    await loadRun(ctx, id);
    const deliveries = await ctx.store.notifications.forRun(id);
    return { notifications: deliveries.map(deliveryView) };
  });
}
