import type { EnvironmentConfig } from './types.js';

/** Where an environment runs: its target, or one target per region; and the port offset there. */
export interface Placement {
  /** '' for an environment without regions. */
  readonly region: string;
  readonly target: string;
  /** The environment's portOffset plus the region's. */
  readonly portOffset: number;
}

/**
 * Every place an environment's services run. Without regions: its target. With regions: each
 * region's target, in declared order (env.target is then the first region's, for what is not yet
 * per region).
 */
export function environmentPlacements(env: EnvironmentConfig): Placement[] {
  if (env.regions.length === 0) return [{ region: '', target: env.target, portOffset: env.portOffset }];
  return env.regions.map((r) => ({ region: r.name, target: r.target, portOffset: env.portOffset + r.portOffset }));
}

/** The targets an environment deploys to (one, or one per region). */
export const environmentTargets = (env: EnvironmentConfig): string[] => [...new Set(environmentPlacements(env).map((p) => p.target))];
