import { isFinished } from './outcome.js';
import { ratio } from './quantile.js';
import type { DoraWindow, RateMetric, ServiceHistory } from './types.js';
import { inWindow } from './window.js';

/**
 * Deployment rework rate (DORA 2024): unplanned deployments over all deployments. Unplanned are
 * manual rollbacks and hotfixes, and Gantry's automatic rollbacks: those have no deployment record
 * of their own (the failed deployment's state says it), so each counts as one more deployment in
 * both figures. The reports publish no levels for it: no band.
 */
export function reworkRate(histories: readonly ServiceHistory[], window: DoraWindow): RateMetric {
  let total = 0;
  let count = 0;
  for (const h of histories) {
    for (const { deployment: d, manualRollback, hotfix } of h.deployments) {
      if (!inWindow(window, d.createdAt) || !isFinished(d)) continue;
      total++;
      if (manualRollback || hotfix) count++;
      if (d.state === 'rolled-back') {
        total++;
        count++;
      }
    }
  }
  return { rate: ratio(count, total), count, total, band: null };
}
