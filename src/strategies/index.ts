import type { StrategyConfig } from '../domain/rollout-config.js';
import { InternalError } from '../errors/index.js';
import { BlueGreenStrategy } from './blue-green.js';
import { CanaryStrategy } from './canary.js';
import { RollingStrategy } from './rolling.js';
import type { Strategy } from './strategy.js';

export type { Strategy, StrategyContext } from './strategy.js';
export type { Action, ReconcileInput, ReconcileResult } from './reconcile.js';
export { DEFAULT_READY_POLL_MS, Goal } from './reconcile.js';
export { BlueGreenPhase, BlueGreenStrategy } from './blue-green.js';
export { RollingPhase, RollingStrategy, shares } from './rolling.js';
export { CanaryPhase, CanaryStrategy, PROMOTE_POLL_MS, describeStep } from './canary.js';
export { RollbackPhase } from './rollback-pass.js';
export { observe, reconcilePass, reconcileToEnd } from './drive.js';
export type { PassOptions, PassOutcome } from './drive.js';

/** The strategy an environment's config asks for; the context passed to it carries the same config. */
export function strategyFor(config: StrategyConfig): Strategy {
  switch (config.kind) {
    case 'rolling':
      return new RollingStrategy();
    case 'blue-green':
      return new BlueGreenStrategy();
    case 'canary':
      return new CanaryStrategy();
    default: {
      const unknown: never = config;
      throw new InternalError(`unknown strategy ${JSON.stringify(unknown)}`);
    }
  }
}
