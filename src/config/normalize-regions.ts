import type { EnvironmentInput } from './schema.js';
import type { EnvironmentConfig } from './types.js';

export const DEFAULT_ON_FAILURE = 'rollback-all';

/**
 * An environment's regions, waves and failure policy with defaults resolved: one wave per region in
 * the order gantry.yaml declares them. Validation (config/rules/regions.ts) refuses waves that name
 * an unknown region or leave one out; normalisation trusts a file that passed it.
 */
export function normalizeRegions(e: EnvironmentInput): Pick<EnvironmentConfig, 'regions' | 'waves' | 'onFailure'> {
  const regions = Object.entries(e.regions ?? {}).map(([name, r]) => ({ name, target: r.target, portOffset: r.portOffset ?? 0 }));
  const waves = regions.length === 0 ? [] : (e.waves ?? regions.map((r) => [r.name]));
  return { regions, waves, onFailure: e.onFailure ?? DEFAULT_ON_FAILURE };
}
