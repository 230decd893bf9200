import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { judgeApproval } from '../../domain/approval-rules.js';
import { findAwaitingDecision } from '../../engine/awaiting-decision.js';
import type { ServerContext } from '../context.js';
import { principalOf } from '../principal.js';
import { parseInput } from '../../kernel/http/validate.js';
import { runView } from '../views.js';
import type { ApiRoute } from '../openapi/api-route.js';
import { RunSchema } from '../openapi/schemas.js';

const RunId = z.object({ id: z.coerce.number().int().positive() });
const ApproveBody = z.strictObject({ comment: z.string().max(2000).optional(), confirm: z.string().max(200).optional() });
const RejectBody = z.strictObject({ reason: z.string().min(1).max(2000) });

const DecisionSchema = z.object({ run: RunSchema, kind: z.enum(['deploy', 'analysis']), decision: z.enum(['approved', 'rejected']) });

export const approvalApi: readonly ApiRoute[] = [
  {
    method: 'GET',
    url: '/api/v1/approvals',
    operationId: 'listApprovals',
    tag: 'approvals',
    summary: 'Runs waiting for a person, and whether the caller may decide each',
    response: z.object({
      approvals: z.array(
        z.object({
          run: RunSchema,
          environment: z.string(),
          kind: z.enum(['deploy', 'analysis']),
          required: z.number().int(),
          confirmation: z.string().nullable().describe('The phrase an approval of a deploy must repeat, if the environment asks for one.'),
          approvedBy: z.array(z.string()),
          message: z.string().nullable(),
          you: z.object({ user: z.string(), mayDecide: z.boolean(), reason: z.string().nullable() }),
        }),
      ),
    }),
  },
  { method: 'POST', url: '/api/v1/runs/:id/approve', operationId: 'approveRun', tag: 'approvals', summary: 'Approve the deployment (or paused watch window) a run waits on', params: RunId, body: ApproveBody, status: 201, response: DecisionSchema },
  { method: 'POST', url: '/api/v1/runs/:id/reject', operationId: 'rejectRun', tag: 'approvals', summary: 'Reject what a run waits on, with a reason', params: RunId, body: RejectBody, status: 201, response: DecisionSchema },
];

export function approvalRoutes(app: FastifyInstance, ctx: ServerContext): void {
  /** Runs waiting for a person: deployment approvals and paused (inconclusive) watch windows. */
  app.get('/api/v1/approvals', async (request) => {
    const principal = principalOf(request);
    const active = await ctx.store.runs.listActive();
    const steps = await ctx.store.steps.forRuns(active.map((r) => r.id));
    const pending = [];
    for (const run of active) {
      // The same rule approve and reject apply (engine/awaiting-decision.ts), so what is listed is what may be decided.
      const awaited = await findAwaitingDecision(ctx.store, run.id, steps.filter((s) => s.runId === run.id));
      if (!awaited) continue;
      const { step, kind } = awaited;
      const decisions = await ctx.store.approvals.forRun(run.id, kind);
      const env = ctx.config().environments[awaited.environment];
      const approvedBy = decisions.filter((d) => d.decision === 'approved').map((d) => d.user);
      // What the caller may do, judged by the same rules the engine applies, so a client can disable a
      // button and say why instead of letting the request fail. The phrase is checked when they act.
      const approvers = env?.approvals.approvers ?? [];
      const groups = await ctx.engine.approverGroups(approvers);
      const verdict = judgeApproval(principal, { environment: awaited.environment, authors: run.authors, triggeredBy: run.triggeredBy, approvedBy, approvers, groups, confirmation: undefined }, undefined);
      pending.push({
        run: runView(run),
        environment: awaited.environment,
        kind,
        // What this run's approval step waits for: the rules when it was planned, even if an admin has accepted new ones since.
        required: awaited.required ?? env?.approvals.required ?? 0,
        confirmation: kind === 'deploy' ? (env?.confirmation ?? null) : null,
        approvedBy,
        message: step.message,
        you: { user: principal.user, mayDecide: verdict.ok, reason: verdict.ok ? null : verdict.reason },
      });
    }
    return { approvals: pending };
  });

  app.post('/api/v1/runs/:id/approve', async (request, reply) => {
    const { id } = parseInput(RunId, request.params, 'path');
    const body = parseInput(ApproveBody, request.body, 'body');
    const { run, kind } = await ctx.engine.decide(id, principalOf(request), 'approved', body.comment, body.confirm);
    return reply.status(201).send({ run: runView(run), kind, decision: 'approved' });
  });

  app.post('/api/v1/runs/:id/reject', async (request, reply) => {
    const { id } = parseInput(RunId, request.params, 'path');
    const body = parseInput(RejectBody, request.body, 'body');
    const { run, kind } = await ctx.engine.decide(id, principalOf(request), 'rejected', body.reason, undefined);
    return reply.status(201).send({ run: runView(run), kind, decision: 'rejected' });
  });
}
