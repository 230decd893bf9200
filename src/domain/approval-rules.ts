import type { Principal } from './roles.js';
import { hasRole } from './roles.js';

export interface ApprovalRequest {
  readonly environment: string;
  /** The commit's author as git records it: "Name <email>". */
  readonly author: string | null;
  /** The user who started the run (a token's user), or "git push". */
  readonly triggeredBy: string;
  /** Users who already approved this run for this environment. */
  readonly approvedBy: readonly string[];
  /** Users or @groups allowed by gantry.yaml; empty means anyone with the role. */
  readonly approvers: readonly string[];
  readonly confirmation: string | undefined;
}

export type ApprovalVerdict =
  | { readonly ok: true }
  | { readonly ok: false; readonly code: 'APPROVAL_ROLE_MISSING' | 'APPROVAL_SELF' | 'APPROVAL_DUPLICATE' | 'APPROVAL_NOT_LISTED' | 'CONFIRMATION_MISMATCH'; readonly reason: string };

function authorParts(author: string | null): { name: string; email: string } {
  const match = /^(.*?)\s*<([^>]*)>$/.exec(author ?? '');
  return { name: (match?.[1] ?? author ?? '').trim().toLowerCase(), email: (match?.[2] ?? '').trim().toLowerCase() };
}

/** Whether the principal wrote the change: by email, by name, or by the email's local part. */
export function isAuthor(principal: Principal, author: string | null): boolean {
  const { name, email } = authorParts(author);
  const user = principal.user.toLowerCase();
  return (principal.email !== null && principal.email.toLowerCase() === email && email !== '') || user === name || (email !== '' && user === email.split('@')[0]);
}

/**
 * DESIGN invariant 5: an approval counts only from a distinct user with the approver role for that
 * environment, never the author of the change or the one who triggered the run. Pure, so every
 * way around it is tested without a server.
 */
export function judgeApproval(principal: Principal, request: ApprovalRequest, typed: string | undefined): ApprovalVerdict {
  const env = request.environment;
  if (!hasRole(principal, 'approver', env)) {
    return { ok: false, code: 'APPROVAL_ROLE_MISSING', reason: `${principal.user} does not hold the approver role for ${env}` };
  }
  if (isAuthor(principal, request.author)) {
    return { ok: false, code: 'APPROVAL_SELF', reason: `${principal.user} wrote this change and cannot approve it` };
  }
  if (principal.user === request.triggeredBy) {
    return { ok: false, code: 'APPROVAL_SELF', reason: `${principal.user} started this run and cannot approve it` };
  }
  if (request.approvedBy.includes(principal.user)) {
    return { ok: false, code: 'APPROVAL_DUPLICATE', reason: `${principal.user} has already approved this run; approvals must come from distinct users` };
  }
  const named = request.approvers.filter((a) => !a.startsWith('@'));
  if (named.length > 0 && !named.includes(principal.user) && !request.approvers.some((a) => a.startsWith('@'))) {
    return { ok: false, code: 'APPROVAL_NOT_LISTED', reason: `${principal.user} is not among the approvers of ${env} in gantry.yaml (${named.join(', ')})` };
  }
  if (request.confirmation !== undefined && typed !== request.confirmation) {
    return { ok: false, code: 'CONFIRMATION_MISMATCH', reason: `approving ${env} needs the phrase "${request.confirmation}" typed exactly` };
  }
  return { ok: true };
}
