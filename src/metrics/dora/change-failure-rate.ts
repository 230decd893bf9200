import { changeFailureBand } from './bands.js';
import { isFinished } from './outcome.js';
import { ratio } from './quantile.js';
import type { DoraWindow, RateMetric, ServiceHistory } from './types.js';
import { inWindow } from './window.js';

/**
 * Finished deployments in the window that needed remediation (failed, rolled back, reverted by a
 * manual rollback, or followed by a hotfix: see classify.ts), over all finished deployments in it.
 */
export function changeFailureRate(histories: readonly ServiceHistory[], window: DoraWindow): RateMetric {
  let total = 0;
  let count = 0;
  for (const h of histories) {
    for (const { deployment: d, failedChange } of h.deployments) {
      if (!inWindow(window, d.createdAt) || !isFinished(d)) continue;
      total++;
      if (failedChange) count++;
    }
  }
  const rate = ratio(count, total);
  return { rate, count, total, band: changeFailureBand(rate) };
}
