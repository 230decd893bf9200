import type { ProtectionConfig } from '../../config/types.js';
import type { PullRequestRecord, ReviewRecord } from './repository.js';

export type PushVerdict = { readonly accepted: true; readonly pullRequest: number | null } | { readonly accepted: false; readonly reason: string };

/** A branch whose pushes must come from reviewed pull requests. */
export const isProtected = (p: ProtectionConfig): boolean => p.requiredApprovals > 0 || !p.allowDirectPush;

/**
 * The reviewers whose latest review approves. A `commented` review does not change a reviewer's
 * verdict (as on GitHub); a later `changes_requested` or `dismissed` one withdraws an approval.
 */
export function approvers(reviews: readonly ReviewRecord[]): string[] {
  const latest = new Map<string, ReviewRecord>();
  const ordered = [...reviews].sort((a, b) => a.submittedAt - b.submittedAt || a.reviewId - b.reviewId);
  for (const r of ordered) if (r.state !== 'commented' && r.state !== 'pending') latest.set(r.reviewer.toLowerCase(), r);
  return [...latest.values()].filter((r) => r.state === 'approved').map((r) => r.reviewer);
}

export interface PushFacts {
  readonly branch: string;
  readonly sha: string;
  readonly protection: ProtectionConfig;
  /** The merged pull request whose merge commit is `sha`, if any. */
  readonly pullRequest: PullRequestRecord | undefined;
  readonly reviews: readonly ReviewRecord[];
  /** Whether Gantry's own run for the pull request's head sha succeeded (asked only with requiredChecks). */
  readonly checksPassed: boolean;
}

/** Pure: whether a push to a protected branch may be deployed, and if not, why (in words for people). */
export function judgePush(f: PushFacts): PushVerdict {
  const short = f.sha.slice(0, 7);
  const pr = f.pullRequest;
  if (!pr) return { accepted: false, reason: `${f.branch} is protected: its head ${short} is not the merge commit of a merged pull request (a direct push)` };
  const needed = f.protection.requiredApprovals;
  const all = approvers(f.reviews);
  const counted = all.filter((u) => u.toLowerCase() !== pr.author.toLowerCase());
  if (counted.length < needed) {
    const byAuthor = all.length > counted.length ? `; an approval by the author ${pr.author} does not count` : '';
    const who = counted.length > 0 ? ` (${counted.join(', ')})` : '';
    return { accepted: false, reason: `pull request #${pr.number} has ${counted.length} approving review${counted.length === 1 ? '' : 's'} from someone other than its author${who}; ${f.branch} needs ${needed}${byAuthor}` };
  }
  if (f.protection.requiredChecks.length > 0 && !f.checksPassed) {
    return { accepted: false, reason: `pull request #${pr.number}: no succeeded Gantry run for its head ${pr.headSha.slice(0, 7)}; ${f.branch} requires checks ${f.protection.requiredChecks.join(', ')}` };
  }
  return { accepted: true, pullRequest: pr.number };
}
