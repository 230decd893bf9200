import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { GantryError, NotFoundError } from '../../errors/index.js';
import { principalOf } from '../principal.js';
import type { ServerContext } from '../context.js';
import { parseInput } from '../../kernel/http/validate.js';
import { runView, stepView } from '../views.js';
import { findAwaitingDecision } from '../../engine/awaiting-decision.js';

const RunId = z.object({ id: z.coerce.number().int().positive() });
const ListQuery = z.object({
  state: z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled']).optional(),
  branch: z.string().min(1).optional(),
  environment: z.string().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
  before: z.coerce.number().int().positive().optional(),
});
const DispatchBody = z.strictObject({
  environment: z.string().min(1),
  ref: z.string().min(1).optional(),
  release: z.string().regex(/^[0-9a-f]{4,40}$/, 'must be a commit sha (at least 4 hex digits)').optional(),
  confirm: z.string().optional(),
  overridePromotion: z.strictObject({ reason: z.string().min(3) }).optional(),
});

export async function loadRun(ctx: ServerContext, id: number) {
  const run = await ctx.store.runs.get(id);
  if (!run) throw new NotFoundError('RUN_NOT_FOUND', `run #${id} does not exist`, { hint: 'List runs with `gantry runs`.' });
  return run;
}

export function runRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.get('/api/v1/runs', async (request) => {
    const q = parseInput(ListQuery, request.query, 'query');
    const runs = await ctx.store.runs.list({ ...q, ...(q.before ? { beforeId: q.before } : {}) });
    return { runs: runs.map(runView) };
  });

  app.get('/api/v1/runs/:id', async (request) => {
    const { id } = parseInput(RunId, request.params, 'path');
    const run = await loadRun(ctx, id);
    const steps = await ctx.store.steps.forRun(id);
    // Who the run waits for, by the rule the approvals list and approve/reject use.
    const awaited = await findAwaitingDecision(ctx.store, id, steps);
    const awaiting = awaited ? { step: awaited.step.key, kind: awaited.kind, environment: awaited.environment } : null;
    return { run: runView(run), steps: steps.map(stepView), awaiting };
  });

  app.post('/api/v1/runs/:id/cancel', async (request, reply) => {
    const { id } = parseInput(RunId, request.params, 'path');
    const run = await ctx.engine.cancel(id, principalOf(request));
    return reply.status(202).send({ run: runView(run) });
  });

  app.post('/api/v1/dispatch', async (request, reply) => {
    const body = parseInput(DispatchBody, request.body, 'body');
    if (body.ref !== undefined && body.release !== undefined) throw new GantryError('BAD_REQUEST', 'give either ref or release, not both', { hint: 'ref builds and deploys a commit; release redeploys artifacts built before.' });
    const run = await ctx.engine.dispatch(body, principalOf(request));
    return reply.status(201).send({ run: runView(run) });
  });

  app.get('/api/v1/locks', async () => {
    const locks = await ctx.store.locks.list();
    const active = await ctx.store.runs.listActive();
    const steps = await ctx.store.steps.forRuns(active.map((r) => r.id));
    const queue = steps
      .filter((s) => s.kind === 'environment-lock' && s.state !== 'succeeded' && !locks.some((l) => l.runId === s.runId && l.environment === s.environment))
      .map((s) => ({ environment: s.environment, runId: s.runId, state: s.state, message: s.message }));
    return { locks: locks.map((l) => ({ environment: l.environment, runId: l.runId, acquiredAt: new Date(l.acquiredAt).toISOString() })), queue };
  });
}
