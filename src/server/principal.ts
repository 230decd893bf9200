import type { FastifyRequest } from 'fastify';
import type { Principal } from '../domain/roles.js';
import { GantryError } from '../errors/index.js';

/** The authenticated caller; the auth hook guarantees one on every /api route. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new GantryError('AUTH_REQUIRED', 'this request needs a token');
  return request.principal;
}
