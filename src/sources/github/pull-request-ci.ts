import { TriggerKind } from '../../domain/phases.js';
import type { Run } from '../../domain/run.js';
import type { Trigger } from '../../engine/run-factory.js';
import { GantryError, NotFoundError } from '../../errors/index.js';
import type { Store } from '../../store/store.js';

/** What a `pull_request` delivery says about the pull request's head. */
export interface PullRequestHead {
  readonly number: number;
  readonly sha: string;
  /** The head branch's name (in the fork, for a pull request from a fork). */
  readonly headRef: string;
}

export interface PullRequestCiOptions {
  readonly store: Store;
  /** Has the source watcher look at the branch heads now, so that a push of the head makes its run first. */
  readonly lookNow: () => Promise<void>;
  /** Fetches the mirror: GitHub keeps every pull request's head at `refs/pull/<n>/head`. */
  readonly refresh: () => Promise<void>;
  /** Whether the mirror has the commit. */
  readonly has: (sha: string) => Promise<boolean>;
  /** The run factory's `create`: the stored plan of a run. */
  readonly create: (trigger: Trigger) => Promise<Run>;
  /** Tells the engine a run was stored (bus event, executor wake-up). */
  readonly started: (run: Run) => void;
}

export interface PullRequestCiResult {
  readonly runId: number;
  /** True when a run of the same commit (a push of the head branch) already checks it. */
  readonly reused: boolean;
}

const FULL_SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

/** Runs that check a commit the way a pull request needs: CI of a push or of a pull request, not cancelled. */
async function ciRunOf(store: Store, sha: string): Promise<number | undefined> {
  const row = await store.db
    .selectFrom('runs')
    .select('id')
    .where('sha', '=', sha)
    .where('trigger', 'in', [TriggerKind.Push, TriggerKind.PullRequest])
    .where('state', '!=', 'cancelled')
    .orderBy('id', 'desc')
    .executeTakeFirst();
  return row?.id;
}

/**
 * CI for a pull request's head, so that the commit statuses GitHub requires exist where it asks for
 * them. Never a deployment: the run has no branch, so no environment matches it. A head that a push
 * run already checks (the head branch lives in this repository) is not run twice.
 */
export class PullRequestCi {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly o: PullRequestCiOptions) {}

  /** One pull request at a time: two deliveries for one head must not both create a run. */
  check(pr: PullRequestHead): Promise<PullRequestCiResult> {
    const next = this.queue.then(() => this.checkNow(pr));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async checkNow(pr: PullRequestHead): Promise<PullRequestCiResult> {
    // It reaches git as an argument: only a full commit id (SHA-1 or SHA-256) goes on.
    if (!FULL_SHA.test(pr.sha)) throw new GantryError('WEBHOOK_PAYLOAD_INVALID', `pull_request.head.sha ${JSON.stringify(pr.sha.slice(0, 80))} is not a full commit id`, { hint: 'Only GitHub webhook deliveries are accepted here.' });
    // Twice: a poll already under way may have listed the heads before this push; the second one
    // starts after it, so a push of the head is surely turned into its run before we look.
    await this.o.lookNow();
    await this.o.lookNow();
    const existing = await ciRunOf(this.o.store, pr.sha);
    if (existing !== undefined) return { runId: existing, reused: true };
    await this.o.refresh();
    if (!(await this.o.has(pr.sha))) {
      throw new NotFoundError('COMMIT_NOT_FOUND', `pull request #${pr.number}: its head ${pr.sha.slice(0, 12)} is not in the repository, even after a fetch`, {
        hint: "repository.url must be the GitHub repository (or a mirror of every ref, refs/pull/* included); once it has the commit, redeliver this event from the webhook's settings.",
      });
    }
    const run = await this.o.create({ kind: TriggerKind.PullRequest, ref: `pull/${pr.number}/head`, branch: null, sha: pr.sha, triggeredBy: `github pull request #${pr.number} (${pr.headRef})` });
    this.o.started(run);
    return { runId: run.id, reused: false };
  }
}
