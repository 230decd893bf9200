import type { Kysely } from 'kysely';
import type { Database } from '../../store/schema.js';

/** The tables of migration 005; declared here, where they are the only ones read or written. */
interface GitHubDatabase {
  github_deliveries: { delivery_id: string; event: string; received_at: number };
  github_pull_requests: { repo: string; number: number; author: string; head_sha: string; base_ref: string; merged_sha: string | null; updated_at: number; github_updated_at: number | null };
  github_reviews: { repo: string; number: number; review_id: number; reviewer: string; state: string; commit_sha: string | null; submitted_at: number };
}

export interface PullRequestRecord {
  readonly repo: string;
  readonly number: number;
  readonly author: string;
  readonly headSha: string;
  readonly baseRef: string;
  readonly mergedSha: string | null;
  /** GitHub's `updated_at` (epoch ms) as the newest delivery about this pull request said. */
  readonly githubUpdatedAt: number;
}

/** What recording a delivery's object did: a `stale` one (older than what is recorded) changed nothing. */
export type SaveResult = 'saved' | 'unchanged' | 'stale';

/**
 * A review's states only move forward on GitHub: pending, then submitted (approved, changes_requested
 * or commented, fixed for that review id), then dismissed, for good. A delivery that would move one
 * back (a captured approval re-sent after its dismissal) is stale.
 */
export const reviewStateRank = (state: string): number => (state === 'pending' ? 0 : state === 'dismissed' ? 2 : 1);

export interface ReviewRecord {
  readonly reviewId: number;
  readonly reviewer: string;
  /** As GitHub's webhook spells it, lower case: approved, changes_requested, commented, dismissed. */
  readonly state: string;
  readonly submittedAt: number;
}

/** Delivery ids, pull requests and reviews the webhook has seen. */
export class GitHubRepository {
  private readonly db: Kysely<GitHubDatabase>;

  constructor(db: Kysely<Database>) {
    // Not part of `Database` (store/schema.ts) so that this feature stays in its own files.
    this.db = db as unknown as Kysely<GitHubDatabase>;
  }

  /** Remembers a delivery id; false when it was already seen (a replay). */
  async claimDelivery(deliveryId: string, event: string, now: number): Promise<boolean> {
    const r = await this.db.insertInto('github_deliveries').values({ delivery_id: deliveryId, event, received_at: now }).onConflict((oc) => oc.column('delivery_id').doNothing()).executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0n) > 0;
  }

  /** Forgets a delivery whose handling failed, so that GitHub's redelivery is handled. */
  async releaseDelivery(deliveryId: string): Promise<void> {
    await this.db.deleteFrom('github_deliveries').where('delivery_id', '=', deliveryId).execute();
  }

  /** GitHub's `updated_at` recorded for a pull request, if any. */
  async pullRequestTime(repo: string, number: number): Promise<number | null> {
    const r = await this.db.selectFrom('github_pull_requests').select('github_updated_at').where('repo', '=', repo).where('number', '=', number).executeTakeFirst();
    return r?.github_updated_at == null ? null : Number(r.github_updated_at);
  }

  /** Records a pull request as a delivery showed it, unless a newer state of it is recorded already. */
  async savePullRequest(pr: PullRequestRecord, now: number): Promise<SaveResult> {
    const recorded = await this.pullRequestTime(pr.repo, pr.number);
    if (recorded !== null && pr.githubUpdatedAt < recorded) return 'stale';
    const row = { repo: pr.repo, number: pr.number, author: pr.author, head_sha: pr.headSha, base_ref: pr.baseRef, merged_sha: pr.mergedSha, updated_at: now, github_updated_at: pr.githubUpdatedAt };
    await this.db
      .insertInto('github_pull_requests')
      .values(row)
      // A payload that does not say "merged" (a review's) never forgets a merge commit already known.
      .onConflict((oc) =>
        oc
          .columns(['repo', 'number'])
          .doUpdateSet({ author: row.author, head_sha: row.head_sha, base_ref: row.base_ref, updated_at: now, github_updated_at: row.github_updated_at, ...(row.merged_sha === null ? {} : { merged_sha: row.merged_sha }) })
          // Checked again in the write: a newer delivery handled meanwhile is never overwritten.
          .where((eb) => eb.or([eb('github_pull_requests.github_updated_at', 'is', null), eb('github_pull_requests.github_updated_at', '<=', row.github_updated_at)])),
      )
      .execute();
    return 'saved';
  }

  /** The state recorded for a review id, if any. */
  async reviewState(repo: string, reviewId: number): Promise<string | undefined> {
    const r = await this.db.selectFrom('github_reviews').select('state').where('repo', '=', repo).where('review_id', '=', reviewId).executeTakeFirst();
    return r?.state;
  }

  /** Records a review by its GitHub id; its state only moves forward (`reviewStateRank`). */
  async saveReview(repo: string, number: number, review: ReviewRecord & { readonly commitSha: string | null }): Promise<SaveResult> {
    const recorded = await this.reviewState(repo, review.reviewId);
    if (recorded !== undefined && reviewStateRank(review.state) < reviewStateRank(recorded)) return 'stale';
    if (recorded !== undefined && reviewStateRank(review.state) === reviewStateRank(recorded)) return 'unchanged';
    const row = { repo, number, review_id: review.reviewId, reviewer: review.reviewer, state: review.state, commit_sha: review.commitSha, submitted_at: review.submittedAt };
    await this.db
      .insertInto('github_reviews')
      .values(row)
      // Only over the state read above: a concurrent delivery that moved the review on wins.
      .onConflict((oc) => oc.columns(['repo', 'review_id']).doUpdateSet({ state: row.state }).where('github_reviews.state', '=', recorded ?? row.state))
      .execute();
    return 'saved';
  }

  /** The merged pull request whose merge commit is `sha`. */
  async mergedAt(repo: string, sha: string): Promise<PullRequestRecord | undefined> {
    const r = await this.db.selectFrom('github_pull_requests').selectAll().where('repo', '=', repo).where('merged_sha', '=', sha).executeTakeFirst();
    return r && { repo: r.repo, number: Number(r.number), author: r.author, headSha: r.head_sha, baseRef: r.base_ref, mergedSha: r.merged_sha, githubUpdatedAt: Number(r.github_updated_at ?? r.updated_at) };
  }

  async reviews(repo: string, number: number): Promise<ReviewRecord[]> {
    const rows = await this.db.selectFrom('github_reviews').selectAll().where('repo', '=', repo).where('number', '=', number).orderBy('submitted_at').orderBy('review_id').execute();
    return rows.map((r) => ({ reviewId: Number(r.review_id), reviewer: r.reviewer, state: r.state, submittedAt: Number(r.submitted_at) }));
  }
}
