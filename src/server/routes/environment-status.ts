import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { findAwaitingDecision } from '../../engine/awaiting-decision.js';
import { environmentPlacements, type Placement } from '../../config/environment-placements.js';
import { NotFoundError } from '../../errors/index.js';
import { parseInput } from '../../kernel/http/validate.js';
import type { ServerContext } from '../context.js';
import type { ApiRoute } from '../openapi/api-route.js';
import { secretMask } from '../secret-mask.js';
import { maskedView, serviceStatusView, servicesOf, serviceWarnings } from '../status-views.js';

const EnvParams = z.object({ env: z.string().regex(/^[a-z][a-z0-9-]{0,62}$/) });
const StatusQuery = z.object({ service: z.string().regex(/^[a-z][a-z0-9-]{0,62}$/).optional() });

export const environmentStatusApi: readonly ApiRoute[] = [
  { method: 'GET', url: '/api/v1/environments/:env/status', operationId: 'getEnvironmentStatus', tag: 'environments', summary: 'What runs in an environment now, as its target reports it', params: EnvParams, query: StatusQuery },
];

/** Runs of the environment waiting for a person (approval, paused watch window): what holds a deploy there. */
async function pendingApprovals(ctx: ServerContext, environment: string) {
  const active = (await ctx.store.runs.listActive()).filter((r) => r.environment === environment);
  const steps = await ctx.store.steps.forRuns(active.map((r) => r.id));
  const pending = [];
  for (const run of active) {
    const awaited = await findAwaitingDecision(ctx.store, run.id, steps.filter((s) => s.runId === run.id));
    if (!awaited || awaited.environment !== environment) continue;
    const approvedBy = (await ctx.store.approvals.forRun(run.id, awaited.kind)).filter((d) => d.decision === 'approved').map((d) => d.user);
    pending.push({ runId: run.id, kind: awaited.kind, release: run.sha, required: awaited.required ?? null, approvedBy });
  }
  return pending;
}

export function environmentStatusRoutes(app: FastifyInstance, ctx: ServerContext): void {
  /**
   * What runs in an environment now, as its target reports it, joined with what Gantry recorded:
   * each service's live revision, the target's revisions (phase, replicas, pods, restarts, last
   * error), route weights and endpoints, recent warning events, and the approvals the environment
   * waits for. Never starts a target: one that does not run yet answers `reachable: false`.
   */
  app.get('/api/v1/environments/:env/status', async (request) => {
    const { env } = parseInput(EnvParams, request.params, 'path');
    const q = parseInput(StatusQuery, request.query, 'query');
    const config = ctx.config();
    const environment = config.environments[env];
    if (!environment) {
      throw new NotFoundError('NOT_FOUND', `environment "${env}" is not declared in gantry.yaml`, { hint: `Environments: ${Object.keys(config.environments).join(', ') || 'none'}.` });
    }
    const names = servicesOf(environment, q.service);
    if (q.service !== undefined && names.length === 0) {
      throw new NotFoundError('NOT_FOUND', `${env} does not deploy a service "${q.service}"`, { hint: `It deploys: ${environment.services.join(', ') || 'nothing'}.` });
    }
    const placements = environmentPlacements(environment);
    const views = [];
    for (const placement of placements) views.push(await placementStatus(ctx, env, names, placement));
    const [only] = views;
    if (environment.regions.length === 0 && only) {
      return { environment: env, target: only.target, reachable: only.reachable, ...(only.message === undefined ? {} : { message: only.message }), services: only.services, approvals: await pendingApprovals(ctx, env) };
    }
    // With regions, each region is its own target with its own live revisions: the services are listed per region.
    return {
      environment: env,
      target: environment.target,
      reachable: views.every((v) => v.reachable),
      services: [],
      regions: views,
      approvals: await pendingApprovals(ctx, env),
    };
  });
}

/** What one place of the environment (its target, or one region's) runs, joined with Gantry's records of that region. */
async function placementStatus(ctx: ServerContext, env: string, names: readonly string[], placement: Placement) {
  const target = ctx.observeTarget ? await ctx.observeTarget(env, placement.target) : undefined;
  // A target that stops answering between the two calls counts as not reachable, not as a server error.
  const reported = target ? await target.describe(env).catch(() => undefined) : undefined;
  const services = [];
  const mask = secretMask(ctx);
  for (const service of names) {
    const [live, history, warnings] = await Promise.all([
      ctx.store.deployments.live(env, service, placement.region),
      ctx.store.deployments.history(env, service, 100),
      reported ? serviceWarnings(target, env, service) : Promise.resolve([]),
    ]);
    const mine = history.filter((d) => d.region === placement.region);
    services.push(maskedView(serviceStatusView(service, reported?.find((s) => s.service === service), mine, live, warnings), mask));
  }
  const where = placement.region === '' ? env : `${env}@${placement.region}`;
  return {
    ...(placement.region === '' ? {} : { region: placement.region }),
    target: placement.target,
    reachable: reported !== undefined,
    ...(reported === undefined ? { message: `the target "${placement.target}" of ${where} is not running (or does not answer): only what Gantry recorded is shown` } : {}),
    services,
  };
}
