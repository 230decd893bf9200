import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { GantryError } from '../../errors/index.js';
import type { Deployment } from '../../domain/deployment.js';
import type { ServerContext } from '../context.js';
import { principalOf } from '../principal.js';
import { parseInput } from '../../kernel/http/validate.js';
import { runView } from '../views.js';

const EnvParams = z.object({ env: z.string().regex(/^[a-z][a-z0-9-]{0,62}$/) });
const ServiceParams = EnvParams.extend({ service: z.string().regex(/^[a-z][a-z0-9-]{0,62}$/) });
const LogsQuery = z.object({ revision: z.coerce.number().int().positive().optional(), lines: z.coerce.number().int().min(1).max(5000).optional() });
const HistoryQuery = z.object({ service: z.string().min(1).optional(), limit: z.coerce.number().int().min(1).max(500).optional() });
const RollbackBody = z.strictObject({
  service: z.string().min(1).optional(),
  toRevision: z.number().int().positive().optional(),
  reason: z.string().min(1).max(500).optional(),
});

export function deploymentView(d: Deployment) {
  return {
    id: d.id,
    environment: d.environment,
    service: d.service,
    revision: d.revision,
    previousRevision: d.previousRevision,
    release: d.release,
    digest: d.digest,
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
      environments.push({ name: env.name, branch: env.branch, strategy: env.strategy.kind, target: env.target, requires: env.requires ?? null, approvals: env.approvals.required, services });
    }
    return { environments };
  });

  app.get('/api/v1/environments/:env/history', async (request) => {
    const { env } = parseInput(EnvParams, request.params, 'path');
    const q = parseInput(HistoryQuery, request.query, 'query');
    if (!ctx.config().environments[env]) throw new GantryError('UNKNOWN_ENVIRONMENT', `environment "${env}" is not declared in gantry.yaml`);
    return { deployments: (await ctx.store.deployments.history(env, q.service, q.limit)).map(deploymentView) };
  });

  /**
   * What runs now, as the target reports it (not as Gantry recorded it): each service's revisions
   * with their phase and the weights of its routes, so a switch or a rollback shows as it happens.
   */
  app.get('/api/v1/environments/:env/status', async (request) => {
    const { env } = parseInput(EnvParams, request.params, 'path');
    if (!ctx.config().environments[env]) throw new GantryError('UNKNOWN_ENVIRONMENT', `environment "${env}" is not declared in gantry.yaml`);
    const services = ctx.describeEnvironment ? await ctx.describeEnvironment(env).catch(() => undefined) : undefined;
    return { environment: env, reachable: services !== undefined, services: services ?? [] };
  });

  /**
   * The last lines a revision of a service wrote (the live one unless `revision` says), read from
   * its target: a process's log file or a container's output, secret values masked.
   */
  app.get('/api/v1/environments/:env/services/:service/logs', async (request) => {
    const { env, service } = parseInput(ServiceParams, request.params, 'path');
    const q = parseInput(LogsQuery, request.query, 'query');
    const config = ctx.config();
    if (!config.environments[env]) throw new GantryError('UNKNOWN_ENVIRONMENT', `environment "${env}" is not declared in gantry.yaml`);
    if (!config.environments[env]?.services.includes(service)) {
      throw new GantryError('NOT_FOUND', `${env} does not deploy a service "${service}"`, { hint: `It deploys: ${config.environments[env]?.services.join(', ') ?? 'nothing'}.` });
    }
    const revision = q.revision ?? (await ctx.store.deployments.live(env, service))?.revision;
    if (revision === undefined) throw new GantryError('NOT_FOUND', `${env}/${service} has no live revision`, { hint: 'Deploy it first, or name a revision with ?revision=N (gantry history shows them).' });
    const lines = ctx.revisionLogs ? await ctx.revisionLogs(env, service, revision, q.lines ?? 100) : undefined;
    if (lines === undefined) throw new GantryError('AGENT_UNREACHABLE', `the target of ${env} is not running, so ${service} r${revision} has no output to show`, { hint: 'gantry status shows the agents; the server starts a local one at the next deploy.' });
    return { environment: env, service, revision, lines };
  });

  app.post('/api/v1/environments/:env/rollback', async (request, reply) => {
    const { env } = parseInput(EnvParams, request.params, 'path');
    const body = parseInput(RollbackBody, request.body, 'body');
    const run = await ctx.engine.rollback({ environment: env, ...body }, principalOf(request));
    return reply.status(201).send({ run: runView(run) });
  });
}
