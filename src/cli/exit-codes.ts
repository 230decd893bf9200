import type { ErrorCode } from '../errors/codes.js';

/**
 * The CLI's exit codes (docs/cli.md#exit-codes), so a script can tell a failed run from a bad token,
 * a server that is down, or a follow that gave up waiting.
 */
export const EXIT = {
  OK: 0,
  /** The run failed or was cancelled, or any error without a code of its own below. */
  FAILED: 1,
  /** The command line is not valid: refused before anything was done. */
  USAGE: 2,
  /** The server refused the token or its roles (HTTP 401/403). */
  NOT_AUTHORISED: 3,
  /** No Gantry server answered at the address. */
  UNREACHABLE: 4,
  /** `--timeout` ran out while following a run; the run goes on. */
  TIMED_OUT: 5,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The codes the API answers with 401 or 403 (kernel/http/http-errors.ts), and the lock-out for bad tokens. */
const NOT_AUTHORISED: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'AUTH_REQUIRED',
  'AUTH_INVALID',
  'FORBIDDEN',
  'TOO_MANY_FAILED_LOGINS',
  'APPROVAL_ROLE_MISSING',
  'APPROVAL_SELF',
  'APPROVAL_NOT_LISTED',
]);

const UNREACHABLE: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['SERVER_UNREACHABLE', 'SERVER_NOT_GANTRY']);

/** The exit code of a command that ended with a GantryError of this code. */
export function exitCodeFor(code: ErrorCode): ExitCode {
  if (code === 'USAGE') return EXIT.USAGE;
  if (code === 'FOLLOW_TIMEOUT') return EXIT.TIMED_OUT;
  if (NOT_AUTHORISED.has(code)) return EXIT.NOT_AUTHORISED;
  if (UNREACHABLE.has(code)) return EXIT.UNREACHABLE;
  return EXIT.FAILED;
}
