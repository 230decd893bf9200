import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../context.js';
import type { ApiRoute } from '../openapi/api-route.js';

export const agentApi: readonly ApiRoute[] = [{ method: 'GET', url: '/api/v1/agents', operationId: 'listAgents', tag: 'agents', summary: "Each local target's agent: health, pids, worker restarts" }];

export function agentRoutes(app: FastifyInstance, ctx: ServerContext): void {
  /** Each local target's agent: healthy or not, pids, worker restarts and the last restart with its cause. */
  app.get('/api/v1/agents', async () => ({ agents: ctx.agents ? await ctx.agents() : [] }));
}
