import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { GantryError, NotFoundError } from '../../errors/index.js';
import { principalOf } from '../principal.js';
import type { ServerContext } from '../context.js';
import { parseInput } from '../../kernel/http/validate.js';
import { runView, stepView } from '../views.js';
import { findAwaitingDecision } from '../../engine/awaiting-decision.js';
import type { ApiRoute } from '../openapi/api-route.js';
import { CursorQueryField, NextCursorSchema, RunEnvelopeSchema, RunSchema, StepSchema } from '../openapi/schemas.js';
import { decodeCursor, page } from './list-cursor.js';

const DEFAULT_RUNS_LIMIT = 50;

const RunId = z.object({ id: z.coerce.number().int().positive() });
const ListQuery = z.object({
  state: z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled']).optional(),
  branch: z.string().min(1).optional(),
  environment: z.string().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(500).optional().describe(`Runs per page (${DEFAULT_RUNS_LIMIT} unless said).`),
  before: z.coerce.number().int().positive().optional().describe('Only runs older than this run id.'),
  cursor: CursorQueryField,
});
const DispatchBody = z.strictObject({
  environment: z.string().min(1),
  ref: z.string().min(1).optional(),
  release: z.string().regex(/^[0-9a-f]{4,40}$/, 'must be a commit sha (at least 4 hex digits)').optional(),
  confirm: z.string().optional(),
  overridePromotion: z.strictObject({ reason: z.string().min(3) }).optional(),
});

const LockSchema = z.object({ environment: z.string(), runId: z.number().int(), acquiredAt: z.string() });
const QueuedSchema = z.object({ environment: z.string().nullable(), runId: z.number().int(), state: z.string(), message: z.string().nullable() });

/** The routes below as the OpenAPI document describes them (src/server/openapi/). */
export const runApi: readonly ApiRoute[] = [
  { method: 'GET', url: '/api/v1/runs', operationId: 'listRuns', tag: 'runs', summary: 'Runs, newest first, a page at a time (filters, limit, cursor)', query: ListQuery, response: z.object({ runs: z.array(RunSchema), nextCursor: NextCursorSchema }) },
  { method: 'GET', url: '/api/v1/runs/:id', operationId: 'getRun', tag: 'runs', summary: 'A run, its steps, and who it waits for', params: RunId, response: z.object({ run: RunSchema, steps: z.array(StepSchema), awaiting: z.object({ step: z.string(), kind: z.string(), environment: z.string() }).nullable() }) },
  { method: 'POST', url: '/api/v1/runs/:id/cancel', operationId: 'cancelRun', tag: 'runs', summary: 'Cancel a run', params: RunId, status: 202, response: RunEnvelopeSchema },
  { method: 'POST', url: '/api/v1/dispatch', operationId: 'dispatch', tag: 'runs', summary: 'Deploy a ref or a release to an environment', body: DispatchBody, status: 201, response: RunEnvelopeSchema },
  { method: 'GET', url: '/api/v1/locks', operationId: 'listLocks', tag: 'runs', summary: 'Environment locks held, and the runs queued behind them', response: z.object({ locks: z.array(LockSchema), queue: z.array(QueuedSchema) }) },
];

export async function loadRun(ctx: ServerContext, id: number) {
  const run = await ctx.store.runs.get(id);
  if (!run) throw new NotFoundError('RUN_NOT_FOUND', `run #${id} does not exist`, { hint: 'List runs with `gantry runs`.' });
  return run;
}

export function runRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.get('/api/v1/runs', async (request) => {
    const { cursor, before, limit = DEFAULT_RUNS_LIMIT, ...filter } = parseInput(ListQuery, request.query, 'query');
    if (cursor !== undefined && before !== undefined) throw new GantryError('BAD_REQUEST', 'give either cursor or before, not both', { where: 'query.cursor', hint: 'A cursor already says where the page starts.' });
    const beforeId = cursor === undefined ? before : decodeCursor('runs', cursor, ['<']).id;
    const rows = await ctx.store.runs.list({ ...filter, limit: limit + 1, ...(beforeId ? { beforeId } : {}) });
    const { rows: runs, nextCursor } = page(rows, limit, 'runs', '<');
    return { runs: runs.map(runView), nextCursor };
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
