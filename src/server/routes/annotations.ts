import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ServerContext } from '../context.js';
import { parseInput } from '../../kernel/http/validate.js';
import type { ApiRoute } from '../openapi/api-route.js';

const Query = z.object({
  environment: z.string().regex(/^[a-z][a-z0-9-]{0,62}$/).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});

const AnnotationSchema = z.object({ time: z.string(), kind: z.string(), tags: z.array(z.string()), text: z.string(), runId: z.number().int().nullable(), actor: z.string() });

export const annotationApi: readonly ApiRoute[] = [
  { method: 'GET', url: '/api/v1/annotations', operationId: 'listAnnotations', tag: 'environments', summary: 'Deployments, rollbacks and restores as graph annotations (Grafana)', query: Query, response: z.object({ annotations: z.array(AnnotationSchema) }) },
];

const KINDS: Readonly<Record<string, string>> = {
  'deployment.succeeded': 'deployed',
  'deployment.rolled-back': 'rolled back',
  'backup.restored': 'restored',
  'promotion.overridden': 'promotion overridden',
};

/**
 * Deployments as annotations (time, tags, text), the shape dashboards such as Grafana overlay on
 * graphs: the seed pipeline's "deployment tagging", read from the append-only events.
 */
export function annotationRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.get('/api/v1/annotations', async (request) => {
    const q = parseInput(Query, request.query, 'query');
    const events = await ctx.store.events.list(5000);
    const annotations = events
      .filter((e) => e.kind in KINDS && (!q.environment || e.data.environment === q.environment))
      .slice(0, q.limit ?? 200)
      .map((e) => {
        const env = String(e.data.environment ?? '');
        const service = e.data.service === undefined ? null : String(e.data.service);
        const release = typeof e.data.release === 'string' ? e.data.release.slice(0, 7) : null;
        const revision = e.data.revision === undefined ? null : Number(e.data.revision);
        return {
          time: new Date(e.at).toISOString(),
          kind: e.kind,
          tags: ['gantry', env, ...(service ? [service] : []), KINDS[e.kind] ?? e.kind],
          text: `${service ?? env} ${KINDS[e.kind] ?? e.kind}${revision === null ? '' : ` r${revision}`}${release ? ` (${release})` : ''}${typeof e.data.reason === 'string' ? `: ${e.data.reason}` : ''}`,
          runId: e.runId,
          actor: e.actor,
        };
      });
    return { annotations };
  });
}
