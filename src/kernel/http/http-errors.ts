import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorCode } from '../../errors/codes.js';
import { isGantryError } from '../../errors/index.js';
import type { Logger } from '../logger.js';
import { redactUrl } from './redact-url.js';

const STATUS: Partial<Record<ErrorCode, number>> = {
  AUTH_REQUIRED: 401,
  AUTH_INVALID: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  RUN_NOT_FOUND: 404,
  CONFLICT: 409,
  RUN_ALREADY_FINISHED: 409,
  LOCK_HELD: 409,
  APPROVAL_ROLE_MISSING: 403,
  APPROVAL_SELF: 403,
  APPROVAL_NOT_LISTED: 403,
  APPROVAL_GROUP_UNRESOLVED: 503,
  APPROVAL_DUPLICATE: 409,
  APPROVAL_NOT_PENDING: 409,
  CANARY_NOT_ACTIVE: 409,
  CANARY_NOT_PAUSED: 409,
  ENVIRONMENT_NOT_SERVED: 403,
  RELEASE_NOT_FOUND: 404,
  BACKUP_NOT_FOUND: 404,
  BACKUP_NO_RESOURCES: 404,
  ROLLBACK_UNAVAILABLE: 409,
  AGENT_UNREACHABLE: 502,
  INTERNAL: 500,
  GIT_FAILED: 502,
  COMMIT_NOT_FOUND: 404,
  CONFIG_GUARD_CHANGE_UNAPPLIED: 409,
};

export interface ErrorBody {
  code: string;
  message: string;
  hint?: string;
}

export function statusFor(code: ErrorCode): number {
  return STATUS[code] ?? 400;
}

/** Every error leaves as `{code, message, hint}`; nothing internal (stack, SQL, paths of the server) leaks. */
export function errorHandler(logger: Logger) {
  return (error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): void => {
    if (isGantryError(error)) {
      const body: ErrorBody = { code: error.code, message: error.message, ...(error.hint ? { hint: error.hint } : {}) };
      void reply.status(statusFor(error.code)).send(body);
      return;
    }
    const fe = error as FastifyError;
    if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
      const tooLarge = fe.statusCode === 413;
      void reply.status(fe.statusCode).send({
        code: 'BAD_REQUEST',
        message: tooLarge ? 'the request body is too large' : `the request is not valid: ${fe.message}`,
        hint: tooLarge ? 'Send a smaller body.' : 'Send a JSON body with Content-Type: application/json.',
      } satisfies ErrorBody);
      return;
    }
    // reqId ties the stack to the request's access line (and to the id the client got back).
    logger.error({ err: error, reqId: request.id, method: request.method, url: redactUrl(request.url) }, 'request failed');
    void reply.status(500).send({ code: 'INTERNAL', message: 'the server failed to handle this request', hint: 'See the server log; please report it if it repeats.' } satisfies ErrorBody);
  };
}
