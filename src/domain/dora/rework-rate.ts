import { isFinished } from './outcome.js';
import { ratio, sumTallies, type CountTally } from './rates.js';
import type { DoraMetric, RateMetric } from './types.js';
import { inWindow } from './window.js';

/**
 * Deployment rework rate (DORA 2024): unplanned deployments over all deployments. Unplanned are
 * manual rollbacks and hotfixes, and Gantry's automatic rollbacks: those have no deployment record
 * of their own (the failed deployment's state says it), so each counts as one more deployment in
 * both figures. The reports publish no levels for it: no band.
 */
export const reworkRate: DoraMetric<CountTally, RateMetric> = {
  tally(h, window) {
    let total = 0;
    let count = 0;
    for (let i = 0; i < h.deployments.length; i++) {
      const d = h.deployments[i];
      if (!d || !inWindow(window, d.createdAt) || !isFinished(d)) continue;
      total++;
      if (h.manualRollback[i] === 1 || h.hotfix[i] === 1) count++;
      if (d.state === 'rolled-back') {
        total++;
        count++;
      }
    }
    return { count, total };
  },
  summarize(tallies) {
    const { count, total } = sumTallies(tallies);
    return { rate: ratio(count, total), count, total, band: null };
  },
};
