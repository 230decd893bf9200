import type { ErrorCode } from '../../errors/codes.js';
import { GantryError } from '../../errors/index.js';

/**
 * A failure talking to an OCI registry. `details` always carries the registry (host), the
 * repository and, when there was an answer, the HTTP status and the registry's own error codes;
 * never a credential: messages are built from those fields only.
 */
export class RegistryError extends GantryError {}

export interface RegistryPlace {
  /** host[:port] of the registry, as users name it. */
  readonly registry: string;
  readonly repository: string;
}

/** The `errors[].code: message` list of a Distribution API error body, or '' when there is none. */
export function registryErrorText(body: Buffer): string {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { errors?: Array<{ code?: unknown; message?: unknown }> };
    if (!Array.isArray(parsed.errors)) return '';
    return parsed.errors
      .map((e) => [e.code, e.message].filter((part) => typeof part === 'string' && part !== '').join(': '))
      .filter((line) => line !== '')
      .join('; ');
  } catch {
    return '';
  }
}

const HINTS: Partial<Record<ErrorCode, string>> = {
  REGISTRY_UNAUTHORIZED: 'Check the registry username and password Gantry was given, and that this account may pull and push the repository.',
  REGISTRY_NOT_FOUND: 'Check the repository name (lower case) and the tag or digest; push the artifact to this registry first.',
  REGISTRY_REQUEST_FAILED: 'Check that the registry runs at this address and answers GET /v2/; its error codes above say what it refused.',
};

/** The error for an answer the request did not expect, with what was being done, where, and what the registry said. */
export function answerError(code: ErrorCode, what: string, place: RegistryPlace, status: number, body: Buffer, extra = ''): RegistryError {
  const said = registryErrorText(body);
  const message = `${what}: registry ${place.registry} answered HTTP ${status} for repository ${place.repository}${said ? ` (${said})` : ''}${extra}`;
  return new RegistryError(code, message, {
    hint: HINTS[code],
    where: `${place.registry}/${place.repository}`,
    retryable: status >= 500 || status === 429,
    details: { registry: place.registry, repository: place.repository, status, ...(said ? { registryErrors: said } : {}) },
  });
}
