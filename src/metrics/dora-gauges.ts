import { Gauge, type Registry } from 'prom-client';
import type { DoraMetrics, DoraReport } from '../domain/dora/types.js';

type Series = ReadonlyArray<readonly [Readonly<Record<string, string>>, number | null]>;

const seconds = (ms: number | null): number | null => (ms === null ? null : ms / 1000);

/**
 * The DORA gauges, per environment: the overall figure without a `service` label (an empty label
 * is no label in Prometheus, so `{service=""}` selects it) and one series per service. A figure
 * the window cannot give (no deployment, no failure) is no series rather than a NaN sample.
 */
export function registerDoraGauges(registry: Registry, reports: () => Promise<readonly DoraReport[]>): void {
  const gauge = (name: string, help: string, pick: (m: DoraMetrics) => Series): void => {
    new Gauge({
      name,
      help,
      labelNames: ['environment', 'service', 'quantile'],
      registers: [registry],
      async collect() {
        this.reset();
        for (const report of await reports()) {
          const scopes: Array<[Record<string, string>, DoraMetrics]> = [[{ environment: report.environment }, report.overall]];
          for (const [service, m] of Object.entries(report.services)) scopes.push([{ environment: report.environment, service }, m]);
          for (const [labels, m] of scopes) for (const [extra, value] of pick(m)) if (value !== null) this.set({ ...labels, ...extra }, value);
        }
      },
    });
  };
  gauge('gantry_dora_deployment_frequency_per_day', 'Successful deployments per day over the DORA window.', (m) => [[{}, m.deploymentFrequency.perDay]]);
  gauge('gantry_dora_lead_time_seconds', 'Commit to successful deployment over the DORA window: median (0.5) and p90 (0.9).', (m) => [
    [{ quantile: '0.5' }, seconds(m.leadTime.medianMs)],
    [{ quantile: '0.9' }, seconds(m.leadTime.p90Ms)],
  ]);
  // A share from 0 to 1: `_ratio`, as Prometheus names them (gantry_dora_change_failure_rate until issue 16).
  gauge('gantry_dora_change_failure_ratio', 'Share (0 to 1) of finished deployments that needed a rollback or a hotfix, over the DORA window.', (m) => [[{}, m.changeFailureRate.rate]]);
  gauge('gantry_dora_recovery_time_seconds', 'Median time from a failed deployment to the next successful one, over the DORA window.', (m) => [[{}, seconds(m.recoveryTime.medianMs)]]);
}
