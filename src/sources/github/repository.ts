import type { Kysely } from 'kysely';
import type { Database } from '../../store/schema.js';

/** The tables of migration 005; declared here, where they are the only ones read or written. */
interface GitHubDatabase {
  github_deliveries: { delivery_id: string; event: string; received_at: number };
  github_pull_requests: { repo: string; number: number; author: string; head_sha: string; base_ref: string; merged_sha: string | null; updated_at: number };
  github_reviews: { repo: string; number: number; review_id: number; reviewer: string; state: string; commit_sha: string | null; submitted_at: number };
}

export interface PullRequestRecord {
  readonly repo: string;
  readonly number: number;
  readonly author: string;
  readonly headSha: string;
  readonly baseRef: string;
  readonly mergedSha: string | null;
}

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

  async savePullRequest(pr: PullRequestRecord, now: number): Promise<void> {
    const row = { repo: pr.repo, number: pr.number, author: pr.author, head_sha: pr.headSha, base_ref: pr.baseRef, merged_sha: pr.mergedSha, updated_at: now };
    await this.db
      .insertInto('github_pull_requests')
      .values(row)
      // A payload that does not say "merged" (a review's) never forgets a merge commit already known.
      .onConflict((oc) => oc.columns(['repo', 'number']).doUpdateSet({ author: row.author, head_sha: row.head_sha, base_ref: row.base_ref, updated_at: now, ...(row.merged_sha === null ? {} : { merged_sha: row.merged_sha }) }))
      .execute();
  }

  async saveReview(repo: string, number: number, review: ReviewRecord & { readonly commitSha: string | null }): Promise<void> {
    const row = { repo, number, review_id: review.reviewId, reviewer: review.reviewer, state: review.state, commit_sha: review.commitSha, submitted_at: review.submittedAt };
    await this.db
      .insertInto('github_reviews')
      .values(row)
      .onConflict((oc) => oc.columns(['repo', 'review_id']).doUpdateSet({ state: row.state, reviewer: row.reviewer, commit_sha: row.commit_sha, submitted_at: row.submitted_at }))
      .execute();
  }

  /** The merged pull request whose merge commit is `sha`. */
  async mergedAt(repo: string, sha: string): Promise<PullRequestRecord | undefined> {
    const r = await this.db.selectFrom('github_pull_requests').selectAll().where('repo', '=', repo).where('merged_sha', '=', sha).executeTakeFirst();
    return r && { repo: r.repo, number: Number(r.number), author: r.author, headSha: r.head_sha, baseRef: r.base_ref, mergedSha: r.merged_sha };
  }

  async reviews(repo: string, number: number): Promise<ReviewRecord[]> {
    const rows = await this.db.selectFrom('github_reviews').selectAll().where('repo', '=', repo).where('number', '=', number).orderBy('submitted_at').orderBy('review_id').execute();
    return rows.map((r) => ({ reviewId: Number(r.review_id), reviewer: r.reviewer, state: r.state, submittedAt: Number(r.submitted_at) }));
  }
}
