import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AuditEvent } from '../../domain/event.js';
import type { ServerContext } from '../context.js';
import { parseInput } from '../../kernel/http/validate.js';
import type { ApiRoute } from '../openapi/api-route.js';
import { CursorQueryField, NextCursorSchema } from '../openapi/schemas.js';
import { decodeCursor, page } from './list-cursor.js';

const DEFAULT_AUDIT_LIMIT = 200;

const Query = z.object({
  since: z
    .string()
    .refine((t) => !Number.isNaN(Date.parse(t)), 'expected an ISO 8601 time such as 2025-01-31T12:00:00Z')
    .optional(),
  limit: z.coerce.number().int().min(1).max(5000).default(DEFAULT_AUDIT_LIMIT),
  cursor: CursorQueryField,
});

const AuditEventSchema = z
  .object({
    id: z.number().int(),
    at: z.string(),
    kind: z.string(),
    actor: z.string(),
    runId: z.number().int().nullable(),
    data: z.record(z.string(), z.unknown()),
    prevHash: z.string(),
    hash: z.string(),
  })
  .meta({ id: 'AuditEvent' });

export const auditApi: readonly ApiRoute[] = [
  {
    method: 'GET',
    url: '/api/v1/audit',
    operationId: 'listAuditEvents',
    tag: 'audit',
    summary: 'Audit events, oldest first within a page: without since the newest page, and nextCursor reads older ones; with since, nextCursor reads newer ones',
    query: Query,
    response: z.object({ events: z.array(AuditEventSchema), nextCursor: NextCursorSchema }),
  },
  {
    method: 'GET',
    url: '/api/v1/audit/verify',
    operationId: 'verifyAuditLog',
    tag: 'audit',
    summary: "Walk the audit log's hash chain: where it first breaks, if it does",
    response: z.union([z.object({ ok: z.literal(true), rows: z.number().int() }), z.object({ ok: z.literal(false), rows: z.number().int(), brokenAt: z.number().int(), reason: z.string() })]),
  },
];

function view(e: AuditEvent) {
  return { id: e.id, at: new Date(e.at).toISOString(), kind: e.kind, actor: e.actor, runId: e.runId, data: e.data, prevHash: e.prevHash, hash: e.hash };
}

/** The audit log (DESIGN.md invariant 7): its events, oldest first, and a walk of its hash chain. */
export function auditRoutes(app: FastifyInstance, ctx: ServerContext): void {
  /**
   * With `since`, the first `limit` events at or after it, and the cursor pages forward (newer);
   * without, the newest `limit`, and the cursor pages back (older). Each page reads oldest first.
   */
  app.get('/api/v1/audit', async (request) => {
    const q = parseInput(Query, request.query, 'query');
    const side = q.since === undefined ? '<' : '>';
    const from = q.cursor === undefined ? undefined : decodeCursor('audit', q.cursor, [side]).id;
    if (side === '>') {
      const { rows, nextCursor } = page(await ctx.store.events.since(Date.parse(q.since ?? ''), q.limit + 1, from), q.limit, 'audit', '>');
      return { events: rows.map(view), nextCursor };
    }
    // Read newest first, so that the extra row is the older one beyond the page; shown oldest first.
    const { rows, nextCursor } = page((await ctx.store.events.recent(q.limit + 1, from)).reverse(), q.limit, 'audit', '<');
    return { events: rows.reverse().map(view), nextCursor };
  });

  app.get('/api/v1/audit/verify', async () => ctx.store.events.verify());
}
