import type { StrategyConfig } from '../config/types.js';
import { InternalError } from '../errors/index.js';
import { BlueGreenStrategy } from './blue-green.js';
import { RollingStrategy } from './rolling.js';
import type { Strategy } from './strategy.js';

export type { Strategy, StrategyContext } from './strategy.js';
export { BlueGreenStrategy } from './blue-green.js';
export { RollingStrategy, shares } from './rolling.js';
export { DEFAULT_READY_POLL_MS, waitReady } from './wait-ready.js';

/** The strategy an environment's config asks for; the context passed to it carries the same config. */
export function strategyFor(config: StrategyConfig): Strategy {
  switch (config.kind) {
    case 'rolling':
      return new RollingStrategy();
    case 'blue-green':
      return new BlueGreenStrategy();
    default: {
      const unknown: never = config;
      throw new InternalError(`unknown strategy ${JSON.stringify(unknown)}`);
    }
  }
}
