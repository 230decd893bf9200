import { parse as parseYaml } from 'yaml';
import { ApiError } from './api-status.js';
import { jsonPatch, mergePatch, strategicMerge } from './api-patches.js';
import type { ResourceRequest } from './api-routes.js';

/**
 * Non-apply writes belong to the fieldManager the client names; without one, the real server takes
 * the first part of the User-Agent (`kubectl/v1.31 …` → kubectl), and "unknown" without either.
 */
export const managerOf = (request: ResourceRequest): string => request.query.get('fieldManager') ?? (/^[^/\s]+/.exec(request.userAgent)?.[0] || 'unknown');

/** The body as JSON, or YAML for an apply (JSON is YAML too); 400 BadRequest when it does not parse. */
export function parseBody(request: ResourceRequest): unknown {
  if (request.body.trim() === '') throw new ApiError('BadRequest', 'the request body is empty');
  try {
    return request.contentType === 'application/apply-patch+yaml' ? parseYaml(request.body) : JSON.parse(request.body);
  } catch (error: unknown) {
    throw new ApiError('BadRequest', `the request body is not valid ${request.contentType === 'application/apply-patch+yaml' ? 'YAML' : 'JSON'}: ${(error as Error).message}`);
  }
}

/** `current` with a PATCH body applied by its Content-Type; 415 for a type the server does not take. */
export function patched(request: ResourceRequest, current: unknown, patch: unknown): unknown {
  switch (request.contentType) {
    case 'application/merge-patch+json':
      return mergePatch(current, patch);
    case 'application/strategic-merge-patch+json':
      return strategicMerge(current, patch);
    case 'application/json-patch+json':
      return jsonPatch(current, patch);
    default:
      throw new ApiError('UnsupportedMediaType', `the body of a PATCH has Content-Type "${request.contentType}"; use application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json or application/apply-patch+yaml`);
  }
}

