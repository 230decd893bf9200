import type { GantryConfig, ProtectionConfig } from '../../config/types.js';
import { isProtected } from './protection.js';

/** One call of GitHub's REST API (docs.github.com/rest/branches/branch-protection). */
export interface GitHubRequest {
  readonly method: 'PUT' | 'POST' | 'DELETE';
  readonly path: string;
  readonly body?: Record<string, unknown>;
}

export interface ProtectionPlan {
  readonly requests: readonly GitHubRequest[];
  /** Patterns with wildcards: this endpoint takes one branch name (wildcards need rulesets). */
  readonly skipped: readonly string[];
}

const enc = encodeURIComponent;

/**
 * The documented body of `PUT /repos/{owner}/{repo}/branches/{branch}/protection` for one branch's
 * rules. Required checks go in `checks` (`contexts` is deprecated); each is a commit status context
 * `<service>/<gate>` that Gantry posts (status-reporter.ts). No `app_id`: Gantry posts statuses with
 * a token, not as a GitHub App.
 */
export function protectionBody(p: ProtectionConfig): Record<string, unknown> {
  const reviews = p.requiredApprovals > 0 || !p.allowDirectPush;
  return {
    required_status_checks: p.requiredChecks.length > 0 || p.upToDate ? { strict: p.upToDate, checks: p.requiredChecks.map((context) => ({ context })) } : null,
    enforce_admins: isProtected(p),
    required_pull_request_reviews: reviews ? { required_approving_review_count: p.requiredApprovals, dismiss_stale_reviews: true } : null,
    restrictions: null,
    allow_force_pushes: p.allowForcePush,
    allow_deletions: false,
    required_conversation_resolution: p.conversationsResolved,
  };
}

/** Pure: the requests that make GitHub enforce gantry.yaml's `branches` rules for `repo` (owner/name). */
export function planProtection(config: GantryConfig, repo: string): ProtectionPlan {
  const [owner = '', name = ''] = repo.split('/');
  const requests: GitHubRequest[] = [];
  const skipped: string[] = [];
  for (const [branch, { protection }] of Object.entries(config.branches)) {
    if (branch.includes('*')) {
      skipped.push(branch);
      continue;
    }
    const base = `/repos/${enc(owner)}/${enc(name)}/branches/${enc(branch)}/protection`;
    requests.push({ method: 'PUT', path: base, body: protectionBody(protection) });
    requests.push({ method: protection.signedCommits ? 'POST' : 'DELETE', path: `${base}/required_signatures` });
  }
  return { requests, skipped };
}
