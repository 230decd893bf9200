import { specOf } from '../engine/step-specs/index.js';
import type { StepContext, StepHandler, StepOutcome } from '../engine/step-handler.js';
import { GantryError } from '../errors/index.js';
import type { Store } from '../store/store.js';

const RECHECK_MS = 500;
/**
 * GitHub may deliver a merge's `push` before the `pull_request` event that says it was merged: a
 * refusal for "not the merge commit of a merged pull request" becomes final only this long after it
 * was recorded (the webhook judges the push again when the merge arrives; src/sources/github/push-verdicts.ts).
 */
export const MERGE_EVENT_GRACE_MS = 15_000;

/**
 * Branch protection for a GitHub repository: the commit deploys only if GitHub's webhook judged the
 * push acceptable (a merged pull request with enough approvals from people other than its author).
 * A poll can see the push first, so the step waits for the verdict, visibly, up to a limit.
 */
export class ProtectionStep implements StepHandler {
  readonly kind = 'protection';

  constructor(private readonly store: Store) {}

  async run(ctx: StepContext): Promise<StepOutcome> {
    const spec = specOf(ctx, 'protection');
    // The newest verdict on this commit wins, however busy the rest of the audit log is.
    const [accepted, refused] = await Promise.all([this.store.events.ofKind('github.push.accepted'), this.store.events.ofKind('github.push.refused')]);
    const verdict = [...accepted, ...refused].filter((e) => e.data.sha === ctx.run.sha && e.data.branch === spec.branch).sort((a, b) => b.id - a.id)[0];
    if (verdict?.kind === 'github.push.refused' && verdict.data.awaitingPullRequest === true && ctx.clock.now() - verdict.at < MERGE_EVENT_GRACE_MS) {
      return { kind: 'wait', message: `GitHub's push event for ${ctx.run.sha.slice(0, 7)} names no merged pull request yet; waiting ${Math.round(MERGE_EVENT_GRACE_MS / 1000)} s for its pull_request event (branch protection)`, retryInMs: RECHECK_MS };
    }
    if (verdict?.kind === 'github.push.refused') {
      throw new GantryError('PROTECTION_REFUSED', `the push of ${ctx.run.sha.slice(0, 7)} to ${spec.branch} breaks its protection: ${String(verdict.data.reason ?? 'refused')}`, { hint: 'Merge a pull request with the required approvals instead of pushing directly.' });
    }
    if (verdict?.kind === 'github.push.accepted') {
      const pr = verdict.data.pullRequest;
      return { kind: 'done', message: `GitHub accepted the push${typeof pr === 'number' ? ` (pull request #${pr})` : ''}` };
    }
    const asked = ctx.run.createdAt;
    if (ctx.clock.now() - asked > spec.waitMs) {
      throw new GantryError('PROTECTION_REFUSED', `no verdict from GitHub's webhook on ${ctx.run.sha.slice(0, 7)} within ${Math.round(spec.waitMs / 60_000)} min`, { hint: "Check the repository's webhook deliveries in GitHub, and that its secret matches." });
    }
    return { kind: 'wait', message: `waiting for GitHub's verdict on ${ctx.run.sha.slice(0, 7)} (branch protection)`, retryInMs: RECHECK_MS };
  }
}
