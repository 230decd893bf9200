import { leadTimeBand } from './bands.js';
import { ascending, quantile } from './quantile.js';
import type { DoraMetric, LeadTime } from './types.js';
import { inWindow } from './window.js';

/**
 * Commit time → the successful production deployment finished. A change is measured once per
 * service, at the first successful deployment of its release: a redeploy or a rollback to an old
 * release is not a new change. A commit time after the deployment (clock skew) counts as zero.
 */
export const leadTime: DoraMetric<number[], LeadTime> = {
  tally(h, window) {
    const samples: number[] = [];
    const measured = new Set<string>();
    for (let i = 0; i < h.deployments.length; i++) {
      const d = h.deployments[i];
      if (!d || d.state !== 'succeeded' || h.manualRollback[i] === 1 || d.commitTime === null || d.finishedAt === null) continue;
      if (measured.has(d.release)) continue;
      measured.add(d.release);
      if (inWindow(window, d.createdAt)) samples.push(Math.max(0, d.finishedAt - d.commitTime));
    }
    return samples;
  },
  summarize(tallies) {
    const sorted = ascending(tallies.length === 1 ? (tallies[0] ?? []) : tallies.flat());
    const medianMs = quantile(sorted, 0.5);
    return { medianMs, p90Ms: quantile(sorted, 0.9), samples: sorted.length, band: leadTimeBand(medianMs) };
  },
};
