import { frequencyBand } from './bands.js';
import type { DeploymentFrequency, DoraMetric } from './types.js';
import { DAY_MS, inWindow } from './window.js';

interface Tally {
  /** Deployments created in the window, whatever their outcome. */
  readonly seen: number;
  readonly succeeded: number;
}

/**
 * Successful deployments per day over the window (and the same figure per week and per 30-day
 * month). Every service's deployment counts: Gantry deploys services one by one. Null when the
 * window holds no deployment at all; zero when it holds only unsuccessful ones.
 */
export const deploymentFrequency: DoraMetric<Tally, DeploymentFrequency> = {
  tally(h, window) {
    let seen = 0;
    let succeeded = 0;
    for (const d of h.deployments) {
      if (!inWindow(window, d.createdAt)) continue;
      seen++;
      if (d.state === 'succeeded') succeeded++;
    }
    return { seen, succeeded };
  },
  summarize(tallies, window) {
    const seen = tallies.reduce((sum, t) => sum + t.seen, 0);
    const count = tallies.reduce((sum, t) => sum + t.succeeded, 0);
    const days = (window.end - window.start) / DAY_MS;
    const perDay = seen > 0 && days > 0 ? count / days : null;
    return {
      count,
      perDay,
      perWeek: perDay === null ? null : perDay * 7,
      perMonth: perDay === null ? null : perDay * 30,
      band: frequencyBand(perDay),
    };
  },
};
