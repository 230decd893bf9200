import { changeFailureBand } from './bands.js';
import { isFinished } from './outcome.js';
import { ratio, sumTallies, type CountTally } from './rates.js';
import type { DoraMetric, RateMetric } from './types.js';
import { inWindow } from './window.js';

/**
 * Finished deployments in the window that needed remediation (failed, rolled back, reverted by a
 * manual rollback, or followed by a hotfix: see classify.ts), over all finished deployments in it.
 */
export const changeFailureRate: DoraMetric<CountTally, RateMetric> = {
  tally(h, window) {
    let total = 0;
    let count = 0;
    for (let i = 0; i < h.deployments.length; i++) {
      const d = h.deployments[i];
      if (!d || !inWindow(window, d.createdAt) || !isFinished(d)) continue;
      total++;
      count += h.failedChange[i] ?? 0;
    }
    return { count, total };
  },
  summarize(tallies) {
    const { count, total } = sumTallies(tallies);
    const rate = ratio(count, total);
    return { rate, count, total, band: changeFailureBand(rate) };
  },
};
