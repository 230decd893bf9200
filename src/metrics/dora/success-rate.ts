import { isFinished } from './outcome.js';
import { ratio } from './quantile.js';
import type { DoraWindow, RateMetric, ServiceHistory } from './types.js';
import { inWindow } from './window.js';

/** Succeeded over finished deployments in the window. Not a DORA key metric: no band. */
export function successRate(histories: readonly ServiceHistory[], window: DoraWindow): RateMetric {
  let total = 0;
  let count = 0;
  for (const h of histories) {
    for (const { deployment: d } of h.deployments) {
      if (!inWindow(window, d.createdAt) || !isFinished(d)) continue;
      total++;
      if (d.state === 'succeeded') count++;
    }
  }
  return { rate: ratio(count, total), count, total, band: null };
}
