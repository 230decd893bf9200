import type { Clock } from '../../kernel/clock.js';
import { PrometheusProvider } from '../../metrics/providers/prometheus-provider.js';
import { RouterProvider } from '../../metrics/providers/router-provider.js';
import type { RevisionTraffic, TrafficSource } from '../../targets/target.js';

/** A router reading kept between passes, so a new provider after a restart measures from the same starting counters. */
export interface RouterReading {
  readonly at: number;
  readonly traffic: readonly RevisionTraffic[];
}

/**
 * The metric providers of one pass of an analysis (the watch window's, a canary step's): the
 * router's, fed the readings earlier passes stored and recording the ones it takes now into
 * `readings` for the caller to store; and Prometheus when the config names a server.
 */
export function recordedProviders(
  source: TrafficSource,
  where: { readonly environment: string; readonly service: string },
  stored: readonly RouterReading[],
  clock: Pick<Clock, 'now'>,
  prometheus: { readonly url: string; readonly timeoutMs: number } | null | undefined,
): { providers: { router: RouterProvider; prometheus?: PrometheusProvider }; readings: RouterReading[] } {
  const readings = [...stored];
  const router = new RouterProvider(async () => {
    const traffic = await source.traffic(where.environment, where.service);
    readings.push({ at: clock.now(), traffic });
    return traffic;
  }, clock);
  for (const r of stored) router.record(r.traffic, r.at);
  return { providers: { router, ...(prometheus ? { prometheus: new PrometheusProvider({ url: prometheus.url, timeoutMs: prometheus.timeoutMs }) } : {}) }, readings };
}
