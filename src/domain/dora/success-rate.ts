import { isFinished } from './outcome.js';
import { ratio, sumTallies, type CountTally } from './rates.js';
import type { DoraMetric, RateMetric } from './types.js';
import { inWindow } from './window.js';

/** Succeeded over finished deployments in the window. Not a DORA key metric: no band. */
export const successRate: DoraMetric<CountTally, RateMetric> = {
  tally(h, window) {
    let total = 0;
    let count = 0;
    for (const d of h.deployments) {
      if (!inWindow(window, d.createdAt) || !isFinished(d)) continue;
      total++;
      if (d.state === 'succeeded') count++;
    }
    return { count, total };
  },
  summarize(tallies) {
    const { count, total } = sumTallies(tallies);
    return { rate: ratio(count, total), count, total, band: null };
  },
};
