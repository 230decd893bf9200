import { recoveryBand } from './bands.js';
import { ascending, quantile } from './quantile.js';
import type { DoraMetric, RecoveryTime } from './types.js';
import { inWindow } from './window.js';

interface Tally {
  readonly samples: readonly number[];
  readonly unrecovered: number;
}

/**
 * Failed deployment recovery time: from a failed or rolled-back deployment's start to the next
 * healthy production state of its service, read as the finish of the service's next succeeded
 * deployment. Median over the failures in the window; those not yet followed by a success are
 * counted apart, not guessed.
 */
export const recoveryTime: DoraMetric<Tally, RecoveryTime> = {
  tally(h, window) {
    const samples: number[] = [];
    let unrecovered = 0;
    // Backwards, so "the next success" is known at each step: one pass per service.
    let nextSuccessAt: number | null = null;
    for (let i = h.deployments.length - 1; i >= 0; i--) {
      const d = h.deployments[i];
      if (!d) continue;
      if (d.state === 'succeeded' && d.finishedAt !== null) nextSuccessAt = d.finishedAt;
      else if ((d.state === 'failed' || d.state === 'rolled-back') && inWindow(window, d.createdAt)) {
        if (nextSuccessAt === null) unrecovered++;
        else samples.push(Math.max(0, nextSuccessAt - d.createdAt));
      }
    }
    return { samples, unrecovered };
  },
  summarize(tallies) {
    const sorted = ascending(tallies.flatMap((t) => t.samples));
    const medianMs = quantile(sorted, 0.5);
    return { medianMs, samples: sorted.length, unrecovered: tallies.reduce((sum, t) => sum + t.unrecovered, 0), band: recoveryBand(medianMs) };
  },
};
