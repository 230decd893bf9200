import { frequencyBand } from './bands.js';
import type { DeploymentFrequency, DoraWindow, ServiceHistory } from './types.js';
import { DAY_MS, inWindow } from './window.js';

/**
 * Successful deployments per day over the window (and the same figure per week and per 30-day
 * month). Every service's deployment counts: Gantry deploys services one by one. Null when the
 * window holds no deployment at all; zero when it holds only unsuccessful ones.
 */
export function deploymentFrequency(histories: readonly ServiceHistory[], window: DoraWindow): DeploymentFrequency {
  let seen = 0;
  let count = 0;
  for (const h of histories) {
    for (const { deployment: d } of h.deployments) {
      if (!inWindow(window, d.createdAt)) continue;
      seen++;
      if (d.state === 'succeeded') count++;
    }
  }
  const days = (window.end - window.start) / DAY_MS;
  const perDay = seen > 0 && days > 0 ? count / days : null;
  return {
    count,
    perDay,
    perWeek: perDay === null ? null : perDay * 7,
    perMonth: perDay === null ? null : perDay * 30,
    band: frequencyBand(perDay),
  };
}
