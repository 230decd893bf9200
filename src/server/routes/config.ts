import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { PendingChange } from '../../engine/config-acceptance.js';
import type { PinnedOrigin } from '../../engine/pinned-config.js';
import { GantryError } from '../../errors/index.js';
import type { ServerContext } from '../context.js';
import { principalOf } from '../principal.js';
import { parseInput } from '../../kernel/http/validate.js';
import type { ApiRoute } from '../openapi/api-route.js';

const MAX_REASON = 500;

const AcceptBody = z.strictObject({
  sha: z.string().regex(/^[0-9a-f]{4,64}$/i, 'must be a commit sha (4 to 64 hex digits)'),
  reason: z.string().trim().min(1).max(MAX_REASON).optional(),
});

const iso = (ms: number): string => new Date(ms).toISOString();

export const pinnedView = (o: PinnedOrigin) => ({ source: o.source, file: o.file, sha: o.sha, by: o.by, reason: o.reason, since: iso(o.since), hash: o.hash });
const pendingView = (p: PendingChange) => ({ sha: p.sha, proposedAt: iso(p.proposedAt), proposedBy: p.proposedBy, changes: p.changes });

const PinnedSchema = z
  .object({ source: z.string(), file: z.string(), sha: z.string().nullable(), by: z.string(), reason: z.string().nullable(), since: z.string(), hash: z.string().describe('sha256:<hex> of the gantry.yaml text the rules came from.') })
  .meta({ id: 'Pinned' });

export const configApi: readonly ApiRoute[] = [
  {
    method: 'GET',
    url: '/api/v1/config',
    operationId: 'getPinnedConfig',
    tag: 'config',
    summary: "The pinned gantry.yaml's origin and the guard-rule changes commits propose",
    response: z.object({ pinned: PinnedSchema, pending: z.array(z.object({ sha: z.string(), proposedAt: z.string(), proposedBy: z.string(), changes: z.array(z.string()) })) }),
  },
  {
    method: 'POST',
    url: '/api/v1/config/accept',
    operationId: 'acceptConfig',
    tag: 'config',
    summary: "Accept one commit's guard rules (admin, audited)",
    body: AcceptBody,
    response: z.object({ accepted: z.boolean(), sha: z.string(), changes: z.array(z.string()), pinned: PinnedSchema }),
  },
];

/**
 * The pinned gantry.yaml (DESIGN.md invariant 9): where its guard rules come from, the changes
 * commits propose, and an admin accepting one commit's rules (audited).
 */
export function configRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const acceptance = () => {
    if (!ctx.configAcceptance) throw new GantryError('CONFLICT', 'this server has no pinned config to manage', { hint: 'Start it with `gantry server`.' });
    return ctx.configAcceptance;
  };

  app.get('/api/v1/config', async () => {
    const a = acceptance();
    return { pinned: pinnedView(a.origin), pending: (await a.pending()).map(pendingView) };
  });

  app.post('/api/v1/config/accept', async (request) => {
    const body = parseInput(AcceptBody, request.body, 'body');
    const r = await acceptance().accept(body.sha.toLowerCase(), principalOf(request).user, body.reason ?? null);
    return { accepted: r.accepted, sha: r.sha, changes: r.changes, pinned: pinnedView(r.origin) };
  });
}
