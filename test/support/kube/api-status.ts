/**
 * The stand-in API server's errors as the real server sends them: a `Status` object with a reason
 * and an HTTP code. Clients (client-node, kubectl) read `reason` and `details.causes`, so these
 * follow k8s.io/apimachinery's StatusReason names.
 */

export type StatusReason =
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Invalid'
  | 'Expired'
  | 'Gone'
  | 'BadRequest'
  | 'Unauthorized'
  | 'UnsupportedMediaType'
  | 'MethodNotAllowed';

export interface StatusCause {
  readonly reason?: string;
  readonly message: string;
  readonly field?: string;
}

export interface Status {
  readonly kind: 'Status';
  readonly apiVersion: 'v1';
  readonly metadata: Record<string, never>;
  readonly status: 'Failure' | 'Success';
  readonly message: string;
  readonly reason?: StatusReason;
  readonly details?: { name?: string; group?: string; kind?: string; causes?: StatusCause[] };
  readonly code: number;
}

const CODES: Record<StatusReason, number> = {
  NotFound: 404,
  AlreadyExists: 409,
  Conflict: 409,
  Invalid: 422,
  Expired: 410,
  Gone: 410,
  BadRequest: 400,
  Unauthorized: 401,
  UnsupportedMediaType: 415,
  MethodNotAllowed: 405,
};

/** A request the API server refuses; the router turns it into a Status response. */
export class ApiError extends Error {
  constructor(
    readonly reason: StatusReason,
    message: string,
    readonly details: { name?: string; group?: string; kind?: string; causes?: StatusCause[] } = {},
  ) {
    super(message);
  }

  get code(): number {
    return CODES[this.reason];
  }

  toStatus(): Status {
    return failureStatus(this.reason, this.message, this.details);
  }
}

export function failureStatus(reason: StatusReason, message: string, details: Status['details'] = {}): Status {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, details, code: CODES[reason] };
}

export function successStatus(details: Status['details']): Status {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', message: '', details, code: 200 };
}
