import type { GantryConfig } from '../../config/types.js';
import type { Clock } from '../../kernel/clock.js';
import type { SecretSource } from '../../secrets/source.js';
import type { Store } from '../../store/store.js';
import { checkPayload, epochMs, isCheckedEvent } from './payloads.js';
import type { PullRequestCiResult, PullRequestHead } from './pull-request-ci.js';
import { PushVerdicts } from './push-verdicts.js';
import { GitHubRepository, type SaveResult } from './repository.js';
import { signatureValid } from './signature.js';

/**
 * GitHub's webhook (`POST /api/v1/github/webhook`): authenticated by its `X-Hub-Signature-256`
 * (HMAC-SHA256 of the raw body with the configured secret), never by a Gantry token.
 *
 * - a delivery id seen before is a replay: answered 200 `{ignored: 'replay'}`, nothing changes;
 * - the payloads of the events Gantry reads are checked first (payloads.ts): a missing or mistyped
 *   field, or an empty body, is answered 400 naming it, and nothing is recorded;
 * - the signature does not cover the delivery id, so an event is also judged by its object: a pull
 *   request older than the recorded one (GitHub's `updated_at`), or a review whose state would move
 *   back (a dismissed review stays dismissed), is refused 409 `WEBHOOK_EVENT_STALE`, changing nothing;
 * - `pull_request` and `pull_request_review` are remembered (head sha, author, merge commit, reviews);
 * - a `pull_request` opened, synchronized or reopened has its head checked (`onPullRequestHead`,
 *   pull-request-ci.ts): a CI-only run, or the run of a push of that sha, whose results the status
 *   reporter posts to GitHub where its branch protection asks for them;
 * - a `push` to a protected branch (`branches[...].protection` with `requiredApprovals > 0` or
 *   `allowDirectPush: false`) is accepted only when its head is the merge commit of a merged pull
 *   request with enough approvals from people other than its author (the latest review of each
 *   counts) and, with `requiredChecks`, a succeeded Gantry run for the pull request's head sha.
 *
 * A refused push is recorded (audit event `github.push.refused`, with the reason) and answered 202
 * `{accepted: false, reason}`; no run is created for it. An accepted push asks the git watcher to
 * look now (`onAccepted`): the watcher stays the one place that turns branch heads into runs, so a
 * push seen by both the webhook and a poll never makes two runs.
 */
export interface WebhookDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly config: () => GantryConfig;
  readonly secrets: SecretSource;
  readonly onAccepted: (branch: string, sha: string, previousSha: string | null) => void;
  /** CI for a pull request's new head (opened, synchronize, reopened): pull-request-ci.ts. */
  readonly onPullRequestHead?: (pr: PullRequestHead) => Promise<PullRequestCiResult>;
}

export interface WebhookDelivery {
  readonly event: string | undefined;
  readonly deliveryId: string | undefined;
  readonly signature: string | undefined;
  /** The body exactly as received: the signature covers these bytes. */
  readonly rawBody: Buffer;
  readonly contentType: string | undefined;
}

export interface WebhookAnswer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

const ZERO_SHA = /^0+$/;

const refusal = (status: number, code: string, message: string, hint: string): WebhookAnswer => ({ status, body: { code, message, hint } });

/** GitHub sends JSON, or (content type form) `payload=<json>`. */
function parsePayload(text: string, contentType: string | undefined): Record<string, unknown> | undefined {
  try {
    const json = contentType?.includes('application/x-www-form-urlencoded') ? (new URLSearchParams(text).get('payload') ?? '') : text;
    const value = JSON.parse(json) as unknown;
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v !== null && typeof v === 'object' ? (v as Json) : {});
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const login = (v: unknown): string => str(obj(v).login) ?? '';

export class GitHubWebhook {
  private readonly repo: GitHubRepository;
  private readonly verdicts: PushVerdicts;

  constructor(private readonly d: WebhookDeps) {
    this.repo = new GitHubRepository(d.store.db);
    this.verdicts = new PushVerdicts({ store: d.store, repo: this.repo, config: d.config, onAccepted: d.onAccepted });
  }

  async handle(delivery: WebhookDelivery): Promise<WebhookAnswer> {
    const github = this.d.config().github;
    if (!github) return refusal(404, 'WEBHOOK_NOT_CONFIGURED', 'this server has no `github:` section in gantry.yaml', 'Add `github: { repo, webhookSecret: { secret: NAME } }` to gantry.yaml.');
    const secret = this.d.secrets.values([github.webhookSecret.secret])[github.webhookSecret.secret];
    if (!secret) return refusal(503, 'WEBHOOK_NOT_CONFIGURED', `the webhook secret ${github.webhookSecret.secret} is not set`, `Set it: gantry secrets set shared ${github.webhookSecret.secret}, or GANTRY_SECRET_${github.webhookSecret.secret} in the server's environment.`);
    const text = delivery.rawBody.toString('utf8');
    if (!(await signatureValid(secret, delivery.rawBody, delivery.signature))) {
      return refusal(401, 'WEBHOOK_SIGNATURE_INVALID', 'the X-Hub-Signature-256 header is missing or does not match the body', "Set the same secret in the repository's webhook settings and in Gantry; the content type may be JSON or form.");
    }
    if (!delivery.deliveryId || !delivery.event) return refusal(400, 'WEBHOOK_PAYLOAD_INVALID', 'the X-GitHub-Delivery or X-GitHub-Event header is missing', 'Only GitHub webhook deliveries are accepted here.');
    if (text.trim() === '') return refusal(400, 'WEBHOOK_PAYLOAD_INVALID', `the ${delivery.event} delivery ${delivery.deliveryId} has an empty body (its signature matches the secret)`, 'GitHub always sends a JSON payload; redeliver it from the webhook settings, or check what sends it.');
    const payload = parsePayload(text, delivery.contentType);
    if (!payload) return refusal(400, 'WEBHOOK_PAYLOAD_INVALID', 'the body is not a JSON object', 'Only GitHub webhook deliveries are accepted here.');
    if (isCheckedEvent(delivery.event)) {
      // Checked before anything is recorded: a delivery without a field Gantry needs changes nothing.
      const check = checkPayload(delivery.event, payload);
      if (!check.ok) {
        return { status: 400, body: { code: 'WEBHOOK_PAYLOAD_INVALID', message: `the ${delivery.event} payload is not as GitHub sends it: ${check.problems.slice(0, 5).join('; ')}`, hint: "GitHub's own deliveries always carry these fields; check what sent this one.", fields: check.fields } };
      }
    }
    const fullName = str(obj(payload.repository).full_name);
    if (delivery.event !== 'ping' && fullName?.toLowerCase() !== github.repo.toLowerCase()) return { status: 200, body: { ignored: 'repository', repository: fullName ?? null } };

    const now = this.d.clock.now();
    if (!(await this.repo.claimDelivery(delivery.deliveryId, delivery.event, now))) return { status: 200, body: { ignored: 'replay' } };
    try {
      const answer = await this.dispatch(delivery.event, delivery.deliveryId, github.repo, payload, now);
      // A refused delivery (a stale event) changed nothing, its id included.
      if (answer.status >= 400) await this.repo.releaseDelivery(delivery.deliveryId);
      return answer;
    } catch (error: unknown) {
      await this.repo.releaseDelivery(delivery.deliveryId);
      throw error;
    }
  }

  private async dispatch(event: string, deliveryId: string, repo: string, p: Json, now: number): Promise<WebhookAnswer> {
    switch (event) {
      case 'ping':
        return { status: 200, body: { ok: true } };
      case 'pull_request':
        return this.pullRequest(repo, deliveryId, p, now);
      case 'pull_request_review':
        return this.review(repo, p, now);
      case 'push':
        return this.push(repo, deliveryId, p, now);
      default:
        return { status: 200, body: { ignored: 'event', event } };
    }
  }

  /** The pull request as this (checked) payload shows it; `stale` when a newer state of it is recorded. */
  private async savePullRequest(repo: string, pr: Json, now: number): Promise<{ number: number; result: SaveResult; updatedAt: number }> {
    const number = Number(pr.number);
    const merged = pr.merged === true ? (str(pr.merge_commit_sha) ?? null) : null;
    const updatedAt = epochMs(str(pr.updated_at) ?? '');
    const result = await this.repo.savePullRequest({ repo, number, author: login(pr.user), headSha: str(obj(pr.head).sha) ?? '', baseRef: str(obj(pr.base).ref) ?? '', mergedSha: merged, githubUpdatedAt: updatedAt }, now);
    return { number, result, updatedAt };
  }

  private async pullRequest(repo: string, deliveryId: string, p: Json, now: number): Promise<WebhookAnswer> {
    const pr = obj(p.pull_request);
    const saved = await this.savePullRequest(repo, pr, now);
    if (saved.result === 'stale') return this.stalePullRequest(repo, saved.number, saved.updatedAt);
    const number = saved.number;
    const mergeSha = pr.merged === true ? str(pr.merge_commit_sha) : undefined;
    if (mergeSha) await this.verdicts.afterMerge(repo, str(obj(pr.base).ref) ?? '', mergeSha, deliveryId, now);
    const action = str(p.action) ?? null;
    const headSha = str(obj(pr.head).sha);
    if (this.d.onPullRequestHead && headSha && pr.state !== 'closed' && (action === 'opened' || action === 'synchronize' || action === 'reopened')) {
      const ci = await this.d.onPullRequestHead({ number, sha: headSha, headRef: str(obj(pr.head).ref) ?? '' });
      return { status: 200, body: { recorded: 'pull_request', number, action, run: ci.runId, reused: ci.reused } };
    }
    return { status: 200, body: { recorded: 'pull_request', number, action } };
  }

  /**
   * A review is judged by its GitHub id: its state only moves forward (submitted, then dismissed for
   * good), so a captured approval re-sent with a new delivery id cannot undo a dismissal. The pull
   * request this payload carries is recorded only if it is not older than the one recorded: reviews
   * may arrive after a later pull_request event, and still count.
   */
  private async review(repo: string, p: Json, now: number): Promise<WebhookAnswer> {
    const { number } = await this.savePullRequest(repo, obj(p.pull_request), now);
    const review = obj(p.review);
    const reviewId = Number(review.id);
    const submitted = Date.parse(str(review.submitted_at) ?? '');
    const state = p.action === 'dismissed' ? 'dismissed' : (str(review.state) ?? 'commented').toLowerCase();
    const reviewer = login(review.user) || 'ghost';
    const result = await this.repo.saveReview(repo, number, { reviewId, reviewer, state, commitSha: str(review.commit_id) ?? null, submittedAt: Number.isNaN(submitted) ? now : submitted });
    if (result === 'stale') {
      const recorded = (await this.repo.reviewState(repo, reviewId)) ?? 'unknown';
      return refusal(409, 'WEBHOOK_EVENT_STALE', `review ${reviewId} by ${reviewer} on pull request #${number} is recorded as ${recorded}; this delivery says ${state}, an earlier state (a dismissed review stays dismissed)`, 'Nothing changed. GitHub sends a new review for a new verdict; an old delivery re-sent is refused.');
    }
    return { status: 200, body: { recorded: 'pull_request_review', number, state, ...(result === 'unchanged' ? { unchanged: true } : {}) } };
  }

  private async stalePullRequest(repo: string, number: number, updatedAt: number): Promise<WebhookAnswer> {
    const recorded = (await this.repo.pullRequestTime(repo, number)) ?? updatedAt;
    return refusal(409, 'WEBHOOK_EVENT_STALE', `pull request #${number} is recorded as updated at ${new Date(recorded).toISOString()}; this delivery shows it at ${new Date(updatedAt).toISOString()}, an older state`, 'Nothing changed. GitHub sends a new event for every change; an old delivery re-sent (or one that arrived out of order) is refused.');
  }

  private async push(repo: string, deliveryId: string, p: Json, now: number): Promise<WebhookAnswer> {
    const ref = str(p.ref) ?? '';
    const sha = str(p.after) ?? '';
    if (!ref.startsWith('refs/heads/') || p.deleted === true || ZERO_SHA.test(sha)) return { status: 200, body: { ignored: 'not a branch head' } };
    const branch = ref.slice('refs/heads/'.length);
    const before = str(p.before);
    const previousSha = before && !ZERO_SHA.test(before) ? before : null;
    const actor = `github:${str(obj(p.pusher).name) ?? 'unknown'}`;
    const protection = this.verdicts.protectionOf(branch);
    if (protection) {
      const verdict = await this.verdicts.judge({ repo, branch, sha, previousSha, actor, delivery: deliveryId, now }, protection);
      if (!verdict.accepted) return { status: 202, body: { accepted: false, branch, sha, reason: verdict.reason } };
      return { status: 200, body: { accepted: true, branch, sha, pullRequest: verdict.pullRequest } };
    }
    this.d.onAccepted(branch, sha, previousSha);
    return { status: 200, body: { accepted: true, branch, sha, pullRequest: null } };
  }
}
