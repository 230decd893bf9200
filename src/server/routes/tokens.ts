import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { hasRole, isValidRole } from '../../domain/roles.js';
import { GantryError } from '../../errors/index.js';
import { hashToken, newToken } from '../auth.js';
import type { ServerContext } from '../context.js';
import { principalOf } from '../principal.js';
import { parseInput } from '../../kernel/http/validate.js';
import type { ApiRoute } from '../openapi/api-route.js';

const CreateBody = z.strictObject({
  user: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'must be a user name (lower case, digits, . _ -)'),
  email: z.string().email().optional(),
  roles: z.array(z.string().refine(isValidRole, 'must be viewer|deployer|approver|admin, optionally :environment or :*')).min(1),
  expiresInDays: z.number().int().min(1).max(3650).optional(),
});
const TokenId = z.object({ id: z.coerce.number().int().positive() });

const TokenSchema = z.object({ id: z.number().int(), user: z.string(), email: z.string().nullable(), roles: z.array(z.string()), revoked: z.boolean(), expiresAt: z.string().nullable() });

export const tokenApi: readonly ApiRoute[] = [
  { method: 'GET', url: '/api/v1/tokens', operationId: 'listTokens', tag: 'tokens', summary: 'API tokens (admin)', response: z.object({ tokens: z.array(TokenSchema) }) },
  {
    method: 'POST',
    url: '/api/v1/tokens',
    operationId: 'createToken',
    tag: 'tokens',
    summary: 'Create a token; its value is shown only in this answer (admin)',
    body: CreateBody,
    status: 201,
    response: z.object({ id: z.number().int(), user: z.string(), email: z.string().nullable(), roles: z.array(z.string()), token: z.string(), expiresAt: z.string().nullable() }),
  },
  { method: 'POST', url: '/api/v1/tokens/:id/revoke', operationId: 'revokeToken', tag: 'tokens', summary: 'Revoke a token (admin)', params: TokenId, response: z.object({ revoked: z.literal(true) }) },
];

/** `deployer:prodution` would grant nothing, silently: a role's environment must be `*` or declared. */
function refuseUnknownEnvironments(roles: readonly string[], declared: readonly string[]): void {
  for (const role of roles) {
    const scope = role.split(':')[1];
    if (scope === undefined || scope === '*' || declared.includes(scope)) continue;
    throw new GantryError('UNKNOWN_ENVIRONMENT', `the role "${role}" names the environment "${scope}", which gantry.yaml does not declare`, {
      hint: `Declared environments: ${declared.join(', ') || 'none'}; or use ":*" for every environment.`,
    });
  }
}

export function tokenRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const requireAdmin = (principal: ReturnType<typeof principalOf>): void => {
    if (!hasRole(principal, 'admin', null)) throw new GantryError('FORBIDDEN', 'managing tokens needs the admin role', { hint: 'Use the admin token (data dir admin.token) or ask an admin.' });
  };

  app.post('/api/v1/tokens', async (request, reply) => {
    requireAdmin(principalOf(request));
    const body = parseInput(CreateBody, request.body, 'body');
    refuseUnknownEnvironments(body.roles, Object.keys(ctx.config().environments));
    const token = newToken();
    const now = ctx.clock.now();
    const record = await ctx.store.tokens.create(body.user, body.email ?? null, hashToken(token), body.roles, now, body.expiresInDays ? now + body.expiresInDays * 86_400_000 : null);
    await ctx.store.events.append('token.created', principalOf(request).user, null, { id: record.id, user: record.user, roles: record.roles }, now);
    return reply.status(201).send({ id: record.id, user: record.user, email: record.email, roles: record.roles, token, expiresAt: record.expiresAt === null ? null : new Date(record.expiresAt).toISOString() });
  });

  app.get('/api/v1/tokens', async (request) => {
    requireAdmin(principalOf(request));
    const tokens = await ctx.store.tokens.list();
    return { tokens: tokens.map((t) => ({ id: t.id, user: t.user, email: t.email, roles: t.roles, revoked: t.revokedAt !== null, expiresAt: t.expiresAt === null ? null : new Date(t.expiresAt).toISOString() })) };
  });

  app.post('/api/v1/tokens/:id/revoke', async (request) => {
    requireAdmin(principalOf(request));
    const { id } = parseInput(TokenId, request.params, 'path');
    if (!(await ctx.store.tokens.revoke(id, ctx.clock.now()))) throw new GantryError('NOT_FOUND', `no active token ${id}`);
    await ctx.store.events.append('token.revoked', principalOf(request).user, null, { id }, ctx.clock.now());
    return { revoked: true };
  });
}
