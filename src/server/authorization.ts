import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { hasRole, type Principal, type RoleName } from '../domain/roles.js';
import { GantryError, NotFoundError } from '../errors/index.js';
import type { ServerContext } from './context.js';
import { DASHBOARD_ROUTES } from './dashboard.js';
import { loadRun } from './routes/runs.js';
import { parseInput } from '../kernel/http/validate.js';

/**
 * Routes that answer without a token (the onRequest auth hook skips them too). GitHub's webhook
 * cannot send a token: it is authenticated by its X-Hub-Signature-256 instead (routes/github.ts).
 * The OpenAPI document describes the API, not any of its data (routes/meta.ts).
 */
export const PUBLIC_ROUTES: ReadonlySet<string> = new Set(['/healthz', '/api/v1/github/webhook', '/api/v1/openapi.json']);

/**
 * Where a route's environment comes from, which decides the scope the role must cover:
 * - `any`: the role held for any environment (or none) will do;
 * - `global`: an unscoped role or `role:*` (an environment-wide power such as managing tokens);
 * - `body.environment`, `params.env`: that field of the request (without it, as `any`; the route
 *   then refuses the request as malformed);
 * - `run`, `backup`: the environment of the run or backup `:id` names; a run without one (CI only)
 *   counts as no environment, which only an unscoped or `:*` role covers.
 */
export type EnvironmentFrom = 'any' | 'global' | 'body.environment' | 'params.env' | 'params.scope' | 'run' | 'backup';

export interface RouteRule {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** The Fastify URL pattern, exactly as the route registers it. */
  readonly url: string;
  readonly role: RoleName;
  readonly environment: EnvironmentFrom;
  /** What the caller is doing, for the refusal: "dispatching to production needs …". */
  readonly action: string;
  /** The code of a refusal; approvals keep their own 403 code, documented with the approval rules. */
  readonly refusal?: 'FORBIDDEN' | 'APPROVAL_ROLE_MISSING';
}

const read = (url: string, action: string): RouteRule => ({ method: 'GET', url, role: 'viewer', environment: 'any', action });

/**
 * Who may call what. Every read needs `viewer`, which any role implies; everything that changes
 * state names the role it needs and the environment it acts on. The engine checks dispatch,
 * rollback, restore and approvals again (and invariant 5 in full): this table is the first line.
 */
export const ROUTE_RULES: readonly RouteRule[] = [
  read('/api/v1/version', 'reading the version'),
  read('/api/v1/whoami', 'reading who you are'),
  read('/api/v1/runs', 'listing runs'),
  read('/api/v1/runs/:id', 'reading a run'),
  read('/api/v1/runs/:id/logs', 'reading logs'),
  read('/api/v1/runs/:id/events', 'following a run'),
  read('/api/v1/runs/:id/notifications', 'reading notifications'),
  read('/api/v1/locks', 'reading locks'),
  read('/api/v1/approvals', 'listing approvals'),
  read('/api/v1/environments', 'listing environments'),
  read('/api/v1/environments/:env/history', 'reading history'),
  read('/api/v1/environments/:env/status', 'reading what runs'),
  read('/api/v1/environments/:env/services/:service/logs', "reading a revision's output"),
  read('/api/v1/agents', 'reading agent health'),
  read('/api/v1/stream', 'following changes'),
  read('/api/v1/backups', 'listing backups'),
  read('/api/v1/backups/:id', 'reading a backup'),
  read('/api/v1/backups/:id/export', "exporting a backup's objects"),
  read('/api/v1/annotations', 'reading annotations'),
  read('/api/v1/dora', 'reading DORA metrics'),
  read('/api/v1/audit', 'reading the audit log'),
  read('/api/v1/audit/verify', 'verifying the audit log'),
  read('/metrics', 'scraping metrics'),
  { method: 'GET', url: '/api/v1/tokens', role: 'admin', environment: 'global', action: 'listing tokens' },
  { method: 'POST', url: '/api/v1/tokens', role: 'admin', environment: 'global', action: 'creating tokens' },
  { method: 'POST', url: '/api/v1/tokens/:id/revoke', role: 'admin', environment: 'global', action: 'revoking tokens' },
  { method: 'POST', url: '/api/v1/sources/notify', role: 'deployer', environment: 'any', action: 'notifying the source watcher' },
  { method: 'POST', url: '/api/v1/sources/check-push', role: 'deployer', environment: 'any', action: 'checking a push against branch protection' },
  { method: 'POST', url: '/api/v1/dispatch', role: 'deployer', environment: 'body.environment', action: 'dispatching' },
  { method: 'POST', url: '/api/v1/runs/:id/cancel', role: 'deployer', environment: 'run', action: 'cancelling' },
  { method: 'POST', url: '/api/v1/runs/:id/approve', role: 'approver', environment: 'run', action: 'approving', refusal: 'APPROVAL_ROLE_MISSING' },
  { method: 'POST', url: '/api/v1/runs/:id/reject', role: 'approver', environment: 'run', action: 'rejecting', refusal: 'APPROVAL_ROLE_MISSING' },
  { method: 'POST', url: '/api/v1/runs/:id/promote', role: 'deployer', environment: 'run', action: 'promoting a canary' },
  { method: 'POST', url: '/api/v1/runs/:id/abort', role: 'deployer', environment: 'run', action: 'aborting a canary' },
  { method: 'POST', url: '/api/v1/environments/:env/rollback', role: 'deployer', environment: 'params.env', action: 'rolling back' },
  { method: 'POST', url: '/api/v1/backups/:id/restore', role: 'deployer', environment: 'backup', action: 'restoring' },
  read('/api/v1/secrets', 'listing secret names'),
  // An environment's secrets belong to its deployers; `shared` ones reach every environment (unscoped roles only).
  { method: 'PUT', url: '/api/v1/secrets/:scope/:name', role: 'deployer', environment: 'params.scope', action: 'setting secrets' },
  { method: 'DELETE', url: '/api/v1/secrets/:scope/:name', role: 'deployer', environment: 'params.scope', action: 'removing secrets' },
  { method: 'POST', url: '/api/v1/secrets/rotate-key', role: 'admin', environment: 'global', action: 'rotating the secrets key' },
  read('/api/v1/config', 'reading the pinned config'),
  // Accepting a commit's guard rules changes what guards every environment: admins only (invariant 9).
  { method: 'POST', url: '/api/v1/config/accept', role: 'admin', environment: 'global', action: "accepting a commit's guard rules" },
];

const ANY = Symbol('any environment');
type Scope = string | null | typeof ANY;

/** The rule of a route; a registered route missing from the table needs `admin` (fail closed). */
export function ruleFor(method: string, url: string): RouteRule {
  const m = method === 'HEAD' ? 'GET' : method;
  return ROUTE_RULES.find((r) => r.method === m && r.url === url) ?? { method: m === 'GET' || m === 'PUT' || m === 'DELETE' ? m : 'POST', url, role: 'admin', environment: 'global', action: `${m} ${url} (a route missing from the role table)` };
}

const covers = (held: string, scope: string | null): boolean => {
  const on = held.split(':')[1];
  return on === undefined || on === '*' || on === scope;
};

/** Whether the principal holds `role` over `scope`: any role implies viewer, admin implies every role. */
function holds(principal: Principal, role: RoleName, scope: Scope): boolean {
  if (role === 'viewer') return scope === ANY ? principal.roles.length > 0 : principal.roles.some((held) => covers(held, scope));
  if (scope === ANY) return principal.roles.some((held) => [role, 'admin'].includes(held.split(':')[0] ?? ''));
  return hasRole(principal, role, scope);
}

const IdParam = z.object({ id: z.coerce.number().int().positive() });

/** The scope a rule asks for in this request, and the words that name it in a refusal. */
async function scopeOf(ctx: ServerContext, rule: RouteRule, request: FastifyRequest): Promise<{ scope: Scope; subject: string }> {
  switch (rule.environment) {
    case 'any':
      return { scope: ANY, subject: '' };
    case 'global':
      return { scope: null, subject: '' };
    case 'body.environment': {
      const env = (request.body as { environment?: unknown } | null | undefined)?.environment;
      return typeof env === 'string' ? { scope: env, subject: ` to ${env}` } : { scope: ANY, subject: '' };
    }
    case 'params.env': {
      const env = (request.params as { env?: unknown } | undefined)?.env;
      return typeof env === 'string' ? { scope: env, subject: ` ${env}` } : { scope: ANY, subject: '' };
    }
    case 'params.scope': {
      const scope = (request.params as { scope?: unknown } | undefined)?.scope;
      if (scope === 'shared') return { scope: null, subject: ' shared' };
      return typeof scope === 'string' ? { scope, subject: ` ${scope}` } : { scope: ANY, subject: '' };
    }
    case 'run': {
      const { id } = parseInput(IdParam, request.params, 'path');
      const env = (await loadRun(ctx, id)).environment;
      return { scope: env, subject: ` run #${id} (${env ?? 'no environment'})` };
    }
    case 'backup': {
      const { id } = parseInput(IdParam, request.params, 'path');
      const backup = await ctx.store.backups.get(id);
      if (!backup || backup.expiresAt <= ctx.clock.now()) throw new NotFoundError('BACKUP_NOT_FOUND', `no backup #${id}`, { hint: 'List backups with `gantry backup list`.' });
      return { scope: backup.environment, subject: ` backup #${id} of ${backup.environment}` };
    }
  }
}

/** The role a refusal names: `deployer:production`, `deployer:*` (no environment), `admin`, or `deployer` (any environment). */
function roleNeeded(role: RoleName, scope: Scope): string {
  if (role === 'admin' && scope === null) return 'admin';
  if (scope === ANY) return role;
  return `${role}:${scope ?? '*'}`;
}

/** The one preHandler that applies ROUTE_RULES; unknown routes (404) and public ones pass untouched. */
export function authorize(ctx: ServerContext) {
  return async (request: FastifyRequest): Promise<void> => {
    const url = request.routeOptions.url;
    if (url === undefined || PUBLIC_ROUTES.has(url) || DASHBOARD_ROUTES.has(url)) return;
    const principal = request.principal;
    if (!principal) throw new GantryError('AUTH_REQUIRED', 'this request needs a token');
    const rule = ruleFor(request.method, url);
    const { scope, subject } = await scopeOf(ctx, rule, request);
    if (holds(principal, rule.role, scope)) return;
    const needed = roleNeeded(rule.role, scope);
    const example = needed.includes(':') || needed === 'admin' ? needed : `${needed}:<environment>`;
    throw new GantryError(rule.refusal ?? 'FORBIDDEN', `${rule.action}${subject} needs the ${needed} role; ${principal.user} holds ${principal.roles.join(', ')}`, {
      hint: `Ask an admin for a token with ${example} (gantry token create --user NAME --role ${example}).`,
    });
  };
}
