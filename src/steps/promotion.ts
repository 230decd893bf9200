import { judgePromotion } from '../domain/promotion.js';
import { specOf } from '../engine/step-specs/index.js';
import type { StepContext, StepHandler, StepOutcome } from '../engine/step-handler.js';
import { GantryError } from '../errors/index.js';
import type { Store } from '../store/store.js';

/** DESIGN invariant 4, enforced where it cannot be skipped: between build and deploy. */
export class PromotionStep implements StepHandler {
  readonly kind = 'promotion';

  constructor(private readonly store: Store) {}

  async run(ctx: StepContext): Promise<StepOutcome> {
    const spec = specOf(ctx, 'promotion');
    const artifacts = await this.store.releases.forRelease(ctx.run.sha);
    const digests = Object.fromEntries(spec.services.map((s) => [s, artifacts.find((a) => a.service === s)?.digest ?? 'missing']));
    const verdict = judgePromotion({ environment: spec.environment, requires: spec.requires, digests, succeededThere: await this.store.deployments.succeededDigests(spec.requires) });
    if (verdict.ok) {
      ctx.log.info(`every service's artifact succeeded in ${spec.requires} first`);
      return { kind: 'done', message: `same release succeeded in ${spec.requires}` };
    }
    if (spec.override) {
      await this.store.events.append('promotion.overridden', spec.override.by, ctx.run.id, { environment: spec.environment, requires: spec.requires, missing: verdict.missing, reason: spec.override.reason }, ctx.clock.now());
      ctx.log.info(`promotion policy overridden by ${spec.override.by}: ${spec.override.reason} (would have blocked: ${verdict.reason})`);
      return { kind: 'done', message: `overridden by ${spec.override.by}` };
    }
    throw new GantryError('PROMOTION_BLOCKED', verdict.reason, { hint: `Deploy this release to ${spec.requires} first; an admin may override with --override-promotion --reason.` });
  }
}
