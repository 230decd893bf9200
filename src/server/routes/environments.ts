import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { GantryError } from '../../errors/index.js';
import type { Deployment } from '../../domain/deployment.js';
import type { ServerContext } from '../context.js';
import { principalOf } from '../principal.js';
import { parseInput } from '../../kernel/http/validate.js';
import { runView } from '../views.js';
import { environmentPlacements } from '../../config/environment-placements.js';
import type { ApiRoute } from '../openapi/api-route.js';
import { CursorQueryField, NextCursorSchema, RunEnvelopeSchema } from '../openapi/schemas.js';
import { decodeCursor, page } from './list-cursor.js';

const EnvParams = z.object({ env: z.string().regex(/^[a-z][a-z0-9-]{0,62}$/) });
const DEFAULT_HISTORY_LIMIT = 50;
const HistoryQuery = z.object({
  service: z.string().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(500).optional().describe(`Revisions per page (${DEFAULT_HISTORY_LIMIT} unless said).`),
  cursor: CursorQueryField,
});
const RollbackBody = z.strictObject({
  service: z.string().min(1).optional(),
  toRevision: z.number().int().positive().optional(),
  reason: z.string().min(1).max(500).optional(),
});

const DeploymentSchema = z
  .object({
    id: z.number().int(),
    environment: z.string(),
    service: z.string(),
    region: z.string().describe("The region of an environment with regions; '' without."),
    revision: z.number().int(),
    previousRevision: z.number().int().nullable(),
    release: z.string(),
    digest: z.string(),
    image: z.string().nullable().describe('The image the revision runs, by digest; null for a bundle.'),
    strategy: z.string(),
    runId: z.number().int().nullable(),
    triggeredBy: z.string(),
    state: z.string(),
    reason: z.string().nullable(),
    createdAt: z.string(),
    finishedAt: z.string().nullable(),
  })
  .meta({ id: 'Deployment' });

const ServiceLiveSchema = z.object({ service: z.string(), port: z.number().int().nullable(), live: DeploymentSchema.nullable() });

export const environmentApi: readonly ApiRoute[] = [
  {
    method: 'GET',
    url: '/api/v1/environments',
    operationId: 'listEnvironments',
    tag: 'environments',
    summary: 'Every environment with the live revision of each service',
    response: z.object({
      environments: z.array(
        z.object({
          name: z.string(),
          branch: z.string(),
          strategy: z.string(),
          target: z.string(),
          requires: z.string().nullable(),
          approvals: z.number().int().describe('Approvals a deploy needs.'),
          services: z.array(ServiceLiveSchema),
          regions: z.array(z.object({ region: z.string(), target: z.string(), services: z.array(ServiceLiveSchema) })).optional().describe('Only for an environment with regions, each with its own live revisions.'),
        }),
      ),
    }),
  },
  {
    method: 'GET',
    url: '/api/v1/environments/:env/history',
    operationId: 'environmentHistory',
    tag: 'environments',
    summary: "An environment's revisions, newest first, a page at a time",
    params: EnvParams,
    query: HistoryQuery,
    response: z.object({ deployments: z.array(DeploymentSchema.extend({ targetRevision: z.string().nullable() })), nextCursor: NextCursorSchema }),
  },
  { method: 'POST', url: '/api/v1/environments/:env/rollback', operationId: 'rollback', tag: 'environments', summary: 'Roll a service (or every service) back to an earlier revision (a run)', params: EnvParams, body: RollbackBody, status: 201, response: RunEnvelopeSchema },
];

export function deploymentView(d: Deployment) {
  return {
    id: d.id,
    environment: d.environment,
    service: d.service,
    // The region of an environment with regions; '' without.
    region: d.region,
    revision: d.revision,
    previousRevision: d.previousRevision,
    release: d.release,
    digest: d.digest,
    // The image the revision runs, by digest, on targets that run images (`gantry export manifests` writes it); null for a bundle.
    image: d.spec?.image ? `${d.spec.image.registryUrl}/${d.spec.image.repository}@${d.spec.image.digest}` : null,
    strategy: d.strategyKind,
    runId: d.runId,
    triggeredBy: d.triggeredBy,
    state: d.state,
    reason: d.reason,
    createdAt: new Date(d.createdAt).toISOString(),
    finishedAt: d.finishedAt === null ? null : new Date(d.finishedAt).toISOString(),
  };
}

export function environmentRoutes(app: FastifyInstance, ctx: ServerContext): void {
  /** Every environment with the live revision of each service (as Gantry recorded it). */
  app.get('/api/v1/environments', async () => {
    const config = ctx.config();
    const environments = [];
    for (const env of Object.values(config.environments)) {
      const services = [];
      for (const name of env.services) {
        const live = await ctx.store.deployments.live(env.name, name);
        const port = config.services[name]?.run ? (config.services[name]?.run?.port ?? 0) + env.portOffset : null;
        services.push({ service: name, port, live: live ? deploymentView(live) : null });
      }
      // With regions, each region has its own live revisions (the environment-wide `live` above stays null).
      const regions = [];
      for (const placement of env.regions.length > 0 ? environmentPlacements(env) : []) {
        const placed = [];
        for (const name of env.services) {
          const live = await ctx.store.deployments.live(env.name, name, placement.region);
          const port = config.services[name]?.run ? (config.services[name]?.run?.port ?? 0) + placement.portOffset : null;
          placed.push({ service: name, port, live: live ? deploymentView(live) : null });
        }
        regions.push({ region: placement.region, target: placement.target, services: placed });
      }
      environments.push({ name: env.name, branch: env.branch, strategy: env.strategy.kind, target: env.target, requires: env.requires ?? null, approvals: env.approvals.required, services, ...(regions.length > 0 ? { regions } : {}) });
    }
    return { environments };
  });

  app.get('/api/v1/environments/:env/history', async (request) => {
    const { env } = parseInput(EnvParams, request.params, 'path');
    const q = parseInput(HistoryQuery, request.query, 'query');
    if (!ctx.config().environments[env]) throw new GantryError('UNKNOWN_ENVIRONMENT', `environment "${env}" is not declared in gantry.yaml`);
    const limit = q.limit ?? DEFAULT_HISTORY_LIMIT;
    const beforeId = q.cursor === undefined ? undefined : decodeCursor('history', q.cursor, ['<']).id;
    const { rows, nextCursor } = page(await ctx.store.deployments.history(env, q.service, limit + 1, beforeId), limit, 'history', '<');
    const deployments = rows.map(deploymentView);
    // The target's own name for each revision it still keeps (a Kubernetes ReplicaSet and its rollout revision), beside Gantry's number.
    const actual = await ctx.describeEnvironment?.(env).catch(() => undefined);
    const theirs = new Map((actual ?? []).flatMap((s) => s.revisions.flatMap((r) => (r.targetRevision === undefined ? [] : [[`${s.service}/${r.revision}`, r.targetRevision] as const]))));
    return { deployments: deployments.map((d) => ({ ...d, targetRevision: theirs.get(`${d.service}/${d.revision}`) ?? null })), nextCursor };
  });

  // GET :env/status is in environment-status.ts, GET :env/services/:service/logs in service-logs.ts.

  app.post('/api/v1/environments/:env/rollback', async (request, reply) => {
    const { env } = parseInput(EnvParams, request.params, 'path');
    const body = parseInput(RollbackBody, request.body, 'body');
    const run = await ctx.engine.rollback({ environment: env, ...body }, principalOf(request));
    return reply.status(201).send({ run: runView(run) });
  });
}
