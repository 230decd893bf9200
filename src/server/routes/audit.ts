import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AuditEvent } from '../../domain/event.js';
import type { ServerContext } from '../context.js';
import { parseInput } from '../../kernel/http/validate.js';

const DEFAULT_AUDIT_LIMIT = 200;

const Query = z.object({
  since: z
    .string()
    .refine((t) => !Number.isNaN(Date.parse(t)), 'expected an ISO 8601 time such as 2025-01-31T12:00:00Z')
    .optional(),
  limit: z.coerce.number().int().min(1).max(5000).default(DEFAULT_AUDIT_LIMIT),
});

function view(e: AuditEvent) {
  return { id: e.id, at: new Date(e.at).toISOString(), kind: e.kind, actor: e.actor, runId: e.runId, data: e.data, prevHash: e.prevHash, hash: e.hash };
}

/** The audit log (DESIGN.md invariant 7): its events, oldest first, and a walk of its hash chain. */
export function auditRoutes(app: FastifyInstance, ctx: ServerContext): void {
  /** With `since`, the first `limit` events at or after it; without, the newest `limit`. */
  app.get('/api/v1/audit', async (request) => {
    const q = parseInput(Query, request.query, 'query');
    const events = q.since === undefined ? await ctx.store.events.recent(q.limit) : await ctx.store.events.since(Date.parse(q.since), q.limit);
    return { events: events.map(view) };
  });

  app.get('/api/v1/audit/verify', async () => ctx.store.events.verify());
}
