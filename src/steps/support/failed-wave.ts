import { parseStepKey } from '../../engine/step-keys.js';

/** What the rollback step needs of a run's steps to find where it failed. */
export interface EndedStep {
  readonly key: string;
  readonly state: string;
}

/**
 * The index of the wave that failed: the earliest wave with a failed or cancelled step of one of
 * its regions (the later waves never started). Undefined when no regional step failed (a lock or a
 * cancelled run before any region): the caller then treats every changed region as failed.
 */
export function failedWave(steps: readonly EndedStep[], waves: readonly (readonly string[])[]): number | undefined {
  let earliest: number | undefined;
  for (const s of steps) {
    if (s.state !== 'failed' && s.state !== 'cancelled') continue;
    const parsed = parseStepKey(s.key);
    const region = parsed && 'region' in parsed ? parsed.region : undefined;
    if (region === undefined) continue;
    const wave = waves.findIndex((w) => w.includes(region));
    if (wave >= 0 && (earliest === undefined || wave < earliest)) earliest = wave;
  }
  return earliest;
}

/** `api@eu-west-1`, or `api` for an environment without regions. */
export const placeLabel = (d: { readonly service: string; readonly region: string }): string => (d.region ? `${d.service}@${d.region}` : d.service);
