import { leadTimeBand } from './bands.js';
import { ascending, quantile } from './quantile.js';
import type { DoraWindow, LeadTime, ServiceHistory } from './types.js';
import { inWindow } from './window.js';

/**
 * Commit time → the successful production deployment finished. A change is measured once per
 * service, at the first successful deployment of its release: a redeploy or a rollback to an old
 * release is not a new change. A commit time after the deployment (clock skew) counts as zero.
 */
export function leadTime(histories: readonly ServiceHistory[], window: DoraWindow): LeadTime {
  const samples: number[] = [];
  for (const h of histories) {
    const measured = new Set<string>();
    for (const { deployment: d, manualRollback } of h.deployments) {
      if (d.state !== 'succeeded' || manualRollback || d.commitTime === null || d.finishedAt === null) continue;
      if (measured.has(d.release)) continue;
      measured.add(d.release);
      if (inWindow(window, d.createdAt)) samples.push(Math.max(0, d.finishedAt - d.commitTime));
    }
  }
  const sorted = ascending(samples);
  const medianMs = quantile(sorted, 0.5);
  return { medianMs, p90Ms: quantile(sorted, 0.9), samples: sorted.length, band: leadTimeBand(medianMs) };
}
