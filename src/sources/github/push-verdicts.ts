import type { GantryConfig, ProtectionConfig } from '../../config/types.js';
import { branchMatches } from '../../domain/branch.js';
import type { Store } from '../../store/store.js';
import { isProtected, judgePush } from './protection.js';
import type { GitHubRepository } from './repository.js';

export interface PushVerdictDeps {
  readonly store: Store;
  readonly repo: GitHubRepository;
  readonly config: () => GantryConfig;
  readonly onAccepted: (branch: string, sha: string, previousSha: string | null) => void;
}

export interface PushToJudge {
  readonly repo: string;
  readonly branch: string;
  readonly sha: string;
  readonly previousSha: string | null;
  readonly actor: string;
  readonly delivery: string;
  readonly now: number;
}

export type RecordedVerdict = { readonly accepted: true; readonly pullRequest: number | null } | { readonly accepted: false; readonly reason: string };

const REFUSED = 'github.push.refused';
const ACCEPTED = 'github.push.accepted';

/**
 * Judges pushes to protected branches and records each verdict as an audit event, which the run's
 * protection step (src/steps/protection.ts) waits for. GitHub does not order its deliveries: the
 * `push` of a merge often comes before the `pull_request` event that says it was merged. Such a
 * refusal is marked `awaitingPullRequest`; when the merge is then recorded, the push is judged again
 * and the newer verdict stands (the step gives that event a short grace before it fails).
 */
export class PushVerdicts {
  constructor(private readonly d: PushVerdictDeps) {}

  /** The protection of a branch, if some rule matching it protects it. */
  protectionOf(branch: string): ProtectionConfig | undefined {
    const rules = Object.entries(this.d.config().branches).filter(([pattern]) => branchMatches(pattern, branch));
    return rules.map(([, b]) => b.protection).find(isProtected);
  }

  async judge(push: PushToJudge, protection: ProtectionConfig): Promise<RecordedVerdict> {
    const { repo, branch, sha, previousSha, actor, delivery, now } = push;
    const pullRequest = await this.d.repo.mergedAt(repo, sha);
    const reviews = pullRequest ? await this.d.repo.reviews(repo, pullRequest.number) : [];
    const checksPassed = pullRequest !== undefined && protection.requiredChecks.length > 0 && (await this.succeededRunFor(pullRequest.headSha));
    const verdict = judgePush({ branch, sha, protection, pullRequest, reviews, checksPassed });
    if (!verdict.accepted) {
      await this.d.store.events.append(REFUSED, actor, null, { delivery, branch, sha, previousSha, reason: verdict.reason, awaitingPullRequest: pullRequest === undefined }, now);
      return verdict;
    }
    await this.d.store.events.append(ACCEPTED, actor, null, { delivery, branch, sha, pullRequest: verdict.pullRequest }, now);
    this.d.onAccepted(branch, sha, previousSha);
    return verdict;
  }

  /** A merge was just recorded: a push of its merge commit refused while waiting for it is judged again. */
  async afterMerge(repo: string, base: string, mergeSha: string, delivery: string, now: number): Promise<void> {
    const protection = this.protectionOf(base);
    if (!protection) return;
    const [accepted, refused] = await Promise.all([this.d.store.events.ofKind(ACCEPTED), this.d.store.events.ofKind(REFUSED)]);
    const newest = [...accepted, ...refused].filter((e) => e.data.sha === mergeSha && e.data.branch === base).sort((a, b) => b.id - a.id)[0];
    if (newest?.kind !== REFUSED || newest.data.awaitingPullRequest !== true) return;
    const previousSha = typeof newest.data.previousSha === 'string' ? newest.data.previousSha : null;
    await this.judge({ repo, branch: base, sha: mergeSha, previousSha, actor: newest.actor, delivery, now }, protection);
  }

  /** Gantry's own checks: a succeeded run (CI gates and all) for the sha. */
  private async succeededRunFor(sha: string): Promise<boolean> {
    const row = await this.d.store.db.selectFrom('runs').select('id').where('sha', '=', sha).where('state', '=', 'succeeded').executeTakeFirst();
    return row !== undefined;
  }
}
