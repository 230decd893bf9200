import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ServerContext } from '../context.js';
import { principalOf } from '../principal.js';
import { parseInput } from '../../kernel/http/validate.js';
import { runView } from '../views.js';
import type { ApiRoute } from '../openapi/api-route.js';
import { RunSchema } from '../openapi/schemas.js';

const RunId = z.object({ id: z.coerce.number().int().positive() });
const PromoteBody = z.strictObject({ comment: z.string().max(2000).optional() }).optional();
const AbortBody = z.strictObject({ reason: z.string().max(2000).optional() }).optional();

const CanaryDecisionSchema = z.object({ run: RunSchema, decision: z.enum(['promote', 'abort']), deployments: z.array(z.unknown()) });

export const canaryApi: readonly ApiRoute[] = [
  { method: 'POST', url: '/api/v1/runs/:id/promote', operationId: 'promoteCanary', tag: 'runs', summary: "Promote a run's canary now", params: RunId, body: PromoteBody, status: 202, response: CanaryDecisionSchema },
  { method: 'POST', url: '/api/v1/runs/:id/abort', operationId: 'abortCanary', tag: 'runs', summary: "Abort a run's canary (roll it back)", params: RunId, body: AbortBody, status: 202, response: CanaryDecisionSchema },
];

/** A person's calls on a running canary (the deploy step applies them on its next pass, woken at once). */
export function canaryRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.post('/api/v1/runs/:id/promote', async (request, reply) => {
    const { id } = parseInput(RunId, request.params, 'path');
    const body = parseInput(PromoteBody, request.body ?? undefined, 'body');
    const { run, deployments } = await ctx.engine.decideCanary(id, principalOf(request), 'promote', body?.comment);
    return reply.status(202).send({ run: runView(run), decision: 'promote', deployments });
  });

  app.post('/api/v1/runs/:id/abort', async (request, reply) => {
    const { id } = parseInput(RunId, request.params, 'path');
    const body = parseInput(AbortBody, request.body ?? undefined, 'body');
    const { run, deployments } = await ctx.engine.decideCanary(id, principalOf(request), 'abort', body?.reason);
    return reply.status(202).send({ run: runView(run), decision: 'abort', deployments });
  });
}
