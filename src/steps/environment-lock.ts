import { specOf } from '../engine/step-specs/index.js';
import type { StepContext, StepHandler, StepOutcome } from '../engine/step-handler.js';
import type { Store } from '../store/store.js';

const RECHECK_MS = 500;

/**
 * Takes the environment's lock for the run (DESIGN invariant 2). While another run holds it the step
 * waits, visibly, and asks again; the executor releases the lock when the run ends, however it ends.
 */
export class EnvironmentLockStep implements StepHandler {
  readonly kind = 'environment-lock';

  constructor(private readonly store: Store) {}

  async run(ctx: StepContext): Promise<StepOutcome> {
    const { environment } = specOf(ctx, 'environment-lock');
    const holder = await this.store.locks.acquire(environment, ctx.run.id, ctx.clock.now());
    if (holder.runId !== ctx.run.id) {
      return { kind: 'wait', message: `queued: run #${holder.runId} holds the ${environment} lock`, retryInMs: RECHECK_MS };
    }
    if (holder.evicted) {
      // A lock left by a run that had ended (an older version's crash between its two writes): say so where people look.
      const { runId, runState } = holder.evicted;
      const why = runState === null ? 'no longer exists' : `had ended (${runState})`;
      ctx.log.info(`took the ${environment} lock from run #${runId}, which ${why}`);
      ctx.logger.warn({ environment, evictedRunId: runId, evictedRunState: runState }, 'evicted a lock held by an ended run');
      await this.store.events.append('lock.evicted', 'gantry', ctx.run.id, { environment, evictedRunId: runId, evictedRunState: runState }, ctx.clock.now());
    }
    ctx.log.info(`holding the ${environment} lock`);
    return { kind: 'done', message: `holds the ${environment} lock` };
  }
}
