import type { Principal } from './roles.js';
import { hasRole } from './roles.js';

export interface ApprovalRequest {
  readonly environment: string;
  /**
   * Every author of the change, as git records them ("Name <email>"): of each commit being merged
   * (base..sha), not only of the head, so a merge commit by someone else does not launder a change.
   */
  readonly authors: readonly string[];
  /** The user who started the run (a token's user), or "git push". */
  readonly triggeredBy: string;
  /** Users who already approved this run for this environment. */
  readonly approvedBy: readonly string[];
  /** Users or @groups allowed by gantry.yaml; empty means anyone with the role. */
  readonly approvers: readonly string[];
  /**
   * The members of each group `approvers` names (without the @), from the pinned gantry.yaml or
   * GitHub; null when they could not be read. A group that is not here has no members.
   */
  readonly groups: Readonly<Record<string, readonly string[] | null>>;
  readonly confirmation: string | undefined;
}

export type ApprovalVerdict =
  | { readonly ok: true }
  | { readonly ok: false; readonly code: 'APPROVAL_ROLE_MISSING' | 'APPROVAL_SELF' | 'APPROVAL_DUPLICATE' | 'APPROVAL_NOT_LISTED' | 'APPROVAL_GROUP_UNRESOLVED' | 'CONFIRMATION_MISMATCH'; readonly reason: string };

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

const sameUser = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();
/** A group's members for a message: a GitHub team may be hundreds of people. */
const SHOWN_MEMBERS = 8;
const few = (members: readonly string[]): string =>
  members.length === 0 ? 'nobody' : members.length <= SHOWN_MEMBERS ? members.join(', ') : `${members.slice(0, SHOWN_MEMBERS).join(', ')} and ${members.length - SHOWN_MEMBERS} more`;

/**
 * An approver list narrows who may approve: the user is named, or a member of a named @group.
 * A group whose members could not be read refuses (fail closed), unless the user is listed otherwise.
 */
function isListed(user: string, request: ApprovalRequest): ApprovalVerdict {
  if (request.approvers.length === 0) return { ok: true };
  const names = request.approvers.filter((a) => !a.startsWith('@'));
  const groups = request.approvers.filter((a) => a.startsWith('@')).map((a) => a.slice(1));
  const members = (g: string): readonly string[] | null => (Object.hasOwn(request.groups, g) ? (request.groups[g] ?? null) : []);
  if (names.includes(user) || groups.some((g) => members(g)?.some((m) => sameUser(m, user)))) return { ok: true };
  const unresolved = groups.filter((g) => members(g) === null);
  if (unresolved.length > 0) {
    return { ok: false, code: 'APPROVAL_GROUP_UNRESOLVED', reason: `${user} is not listed by name among the approvers of ${request.environment}, and the members of ${unresolved.map((g) => `@${g}`).join(', ')} could not be read` };
  }
  const described = [...names, ...groups.map((g) => `@${g}: ${few(members(g) ?? [])}`)].join('; ');
  return { ok: false, code: 'APPROVAL_NOT_LISTED', reason: `${user} is not among the approvers of ${request.environment} in gantry.yaml (${described})` };
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
  const authored = request.authors.find((a) => isAuthor(principal, a));
  if (authored !== undefined) {
    const which = request.authors.length > 1 ? `one of the commits this run brings in (as ${authored})` : 'this change';
    return { ok: false, code: 'APPROVAL_SELF', reason: `${principal.user} wrote ${which} and cannot approve it` };
  }
  if (principal.user === request.triggeredBy) {
    return { ok: false, code: 'APPROVAL_SELF', reason: `${principal.user} started this run and cannot approve it` };
  }
  if (request.approvedBy.includes(principal.user)) {
    return { ok: false, code: 'APPROVAL_DUPLICATE', reason: `${principal.user} has already approved this run; approvals must come from distinct users` };
  }
  const listed = isListed(principal.user, request);
  if (!listed.ok) return listed;
  if (request.confirmation !== undefined && typed !== request.confirmation) {
    return { ok: false, code: 'CONFIRMATION_MISMATCH', reason: `approving ${env} needs the phrase "${request.confirmation}" typed exactly` };
  }
  return { ok: true };
}
