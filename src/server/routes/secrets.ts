import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { hasRole, type Principal } from '../../domain/roles.js';
import { GantryError } from '../../errors/index.js';
import { checkSecretAddress, SHARED_SCOPE, type SecretInfo } from '../../secrets/secret-store.js';
import type { ServerContext } from '../context.js';
import { principalOf } from '../principal.js';
import { parseInput } from '../../kernel/http/validate.js';
import type { ApiRoute } from '../openapi/api-route.js';

const Address = z.object({ scope: z.string(), name: z.string() });
const SetBody = z.strictObject({ value: z.string({ error: 'must be the secret value as a string' }) });

const view = (s: SecretInfo) => ({ scope: s.scope, name: s.name, version: s.version, createdBy: s.createdBy, createdAt: new Date(s.createdAt).toISOString() });

const SecretSchema = z.object({ scope: z.string(), name: z.string(), version: z.number().int(), createdBy: z.string(), createdAt: z.string() }).meta({ id: 'Secret' });

export const secretApi: readonly ApiRoute[] = [
  { method: 'GET', url: '/api/v1/secrets', operationId: 'listSecrets', tag: 'secrets', summary: 'Secret names and versions (never values)', response: z.object({ secrets: z.array(SecretSchema) }) },
  { method: 'PUT', url: '/api/v1/secrets/:scope/:name', operationId: 'setSecret', tag: 'secrets', summary: 'Set a secret (a new version)', params: Address, body: SetBody, response: z.object({ secret: SecretSchema, warnings: z.array(z.string()) }) },
  { method: 'DELETE', url: '/api/v1/secrets/:scope/:name', operationId: 'removeSecret', tag: 'secrets', summary: 'Remove a secret', params: Address, response: z.object({ removed: z.literal(true) }) },
  { method: 'POST', url: '/api/v1/secrets/rotate-key', operationId: 'rotateSecretsKey', tag: 'secrets', summary: 'Rotate the master key (admin)' },
];

/**
 * The secret store (DESIGN.md invariant 6): values go in and never come out. No response, error or
 * log line carries a value; the audit log records names and versions.
 */
export function secretRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const secrets = () => {
    if (!ctx.secrets) throw new GantryError('CONFLICT', 'this server reads secrets from its environment (GANTRY_SECRET_<NAME>), not from the secret store', { hint: 'Start it without a `secrets` override.' });
    return ctx.secrets;
  };
  const address = (params: unknown, principal: Principal) => {
    const { scope, name } = parseInput(Address, params, 'path');
    checkSecretAddress(scope, name);
    if (scope !== SHARED_SCOPE && !ctx.config().environments[scope]) {
      throw new GantryError('UNKNOWN_ENVIRONMENT', `"${scope}" is neither "${SHARED_SCOPE}" nor an environment of gantry.yaml`, { hint: `Use "${SHARED_SCOPE}" or one of: ${Object.keys(ctx.config().environments).join(', ')}.` });
    }
    if (!hasRole(principal, 'deployer', scope)) throw new GantryError('FORBIDDEN', `changing ${scope} secrets needs admin or deployer:${scope}`, { hint: 'Ask an admin for the role, or for the change.' });
    return { scope, name };
  };

  // Its own context, so that its JSON parser cannot echo a piece of a malformed body (a value) in an error.
  void app.register(async (scoped) => {
    scoped.removeContentTypeParser('application/json');
    scoped.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
      try {
        done(null, JSON.parse(body as string) as unknown);
      } catch {
        done(new GantryError('BAD_REQUEST', 'the body is not valid JSON', { hint: 'Send {"value": "…"} with Content-Type: application/json.' }), undefined);
      }
    });

    scoped.put('/api/v1/secrets/:scope/:name', async (request) => {
      const principal = principalOf(request);
      const { scope, name } = address(request.params, principal);
      const { value } = parseInput(SetBody, request.body, 'body');
      const { secret, warnings } = await secrets().set(scope, name, value, principal.user);
      return { secret: view(secret), warnings };
    });

    scoped.get('/api/v1/secrets', async () => ({ secrets: secrets().list().map(view) }));

    scoped.delete('/api/v1/secrets/:scope/:name', async (request) => {
      const principal = principalOf(request);
      const { scope, name } = address(request.params, principal);
      if (!(await secrets().rm(scope, name, principal.user))) throw new GantryError('NOT_FOUND', `there is no secret ${scope}/${name}`, { hint: 'See `gantry secrets list`.' });
      return { removed: true };
    });

    scoped.post('/api/v1/secrets/rotate-key', async (request) => {
      const principal = principalOf(request);
      if (!hasRole(principal, 'admin', null)) throw new GantryError('FORBIDDEN', 'rotating the master key needs the admin role');
      return secrets().rotateKey(undefined, principal.user);
    });
  });
}
