import { specOf } from '../engine/step-specs/index.js';
import type { StepContext, StepHandler, StepOutcome } from '../engine/step-handler.js';
import { formatDuration } from '../config/duration.js';
import { ApprovalError } from '../errors/index.js';
import type { Store } from '../store/store.js';

const RECHECK_MS = 500;

/**
 * Waits for N approvals from distinct users (each one already judged by the approvals API against
 * invariant 5); one rejection ends the run; nobody deciding in time ends it too.
 */
export class ApprovalStep implements StepHandler {
  readonly kind = 'approval';

  constructor(private readonly store: Store) {}

  async run(ctx: StepContext): Promise<StepOutcome> {
    const spec = specOf(ctx, 'approval');
    const decisions = await this.store.approvals.forRun(ctx.run.id, 'deploy');
    const rejection = decisions.find((d) => d.decision === 'rejected');
    if (rejection) {
      throw new ApprovalError('APPROVAL_REJECTED', `${rejection.user} rejected the deployment to ${spec.environment}${rejection.comment ? `: ${rejection.comment}` : ''}`, { hint: 'Fix what the reviewer asked for and push again.' });
    }
    const approvers = [...new Set(decisions.filter((d) => d.decision === 'approved').map((d) => d.user))];
    if (approvers.length >= spec.required) {
      ctx.log.info(`approved by ${approvers.join(', ')}`);
      return { kind: 'done', summary: { approvedBy: approvers }, message: `approved by ${approvers.join(', ')}` };
    }
    const asked = (await this.store.events.list(1000, ctx.run.id)).find((e) => e.kind === 'approval.requested' && e.data.environment === spec.environment);
    const since = asked?.at ?? ctx.clock.now();
    if (!asked) {
      await this.store.events.append('approval.requested', 'gantry', ctx.run.id, { environment: spec.environment, required: spec.required }, since);
      ctx.log.info(`waiting for ${spec.required} approval(s) for ${spec.environment}: gantry approve ${ctx.run.id}${spec.confirmation ? ` --confirm "${spec.confirmation}"` : ''}`);
    }
    if (ctx.clock.now() - since > spec.waitMs) {
      throw new ApprovalError('APPROVAL_TIMEOUT', `no ${spec.required} approval(s) for ${spec.environment} within ${formatDuration(spec.waitMs)}`, { hint: 'Dispatch the release again when approvers are available, or raise approvals.timeout.' });
    }
    const who = approvers.length > 0 ? ` (${approvers.join(', ')})` : '';
    return { kind: 'wait', message: `waiting for approvals: ${approvers.length}/${spec.required}${who}`, retryInMs: RECHECK_MS };
  }
}
