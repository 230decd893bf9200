import { useState } from 'react';
import type { DoraBand, DoraReport, Environment } from '../api/types';
import { Columns, Loading, PageTitle, Problem, TableBox } from '../components/bits';
import { duration, percent } from '../components/format';
import { TrendChart, type ChartPoint } from '../components/trend-chart';
import { useResource } from '../live/use-resource';

const WINDOWS = [
  { value: '7d', label: '7 days', series: 'day' },
  { value: '30d', label: '30 days', series: 'day' },
  { value: '90d', label: '90 days', series: 'week' },
  { value: '366d', label: 'a year', series: 'week' },
] as const;

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function Band({ band }: { band: DoraBand | null }) {
  return band ? <span className={`badge band-${band}`}>{band}</span> : <span className="badge">no data</span>;
}

function Tile({ title, value, band, detail }: { title: string; value: string; band: DoraBand | null; detail: string }) {
  return (
    <div className="tile">
      <div className="tile-title">{title}</div>
      <div className="tile-value">{value}</div>
      <Band band={band} />
      <div className="muted small">{detail}</div>
    </div>
  );
}

export function DoraPage() {
  const envs = useResource<{ environments: Environment[] }>('api/v1/environments');
  const [windowIndex, setWindowIndex] = useState(1);
  const [environment, setEnvironment] = useState<string>();
  const chosen = WINDOWS[windowIndex] ?? WINDOWS[1];
  const names = envs.data?.environments.map((e) => e.name) ?? [];
  const env = environment ?? (names.includes('production') ? 'production' : names.at(-1));
  const report = useResource<DoraReport>(env ? `api/v1/dora?environment=${env}&window=${chosen.value}&series=${chosen.series}` : null, { when: (c) => c.type === 'run' });
  const r = report.data;
  const label = (iso: string): string => new Date(iso).toLocaleDateString(undefined, { month: 'short', day: 'numeric' });
  const series = (pick: (p: NonNullable<DoraReport['series']>[number]) => number | null): ChartPoint[] => (r?.series ?? []).map((p) => ({ label: label(p.start), value: pick(p) }));
  return (
    <>
      <PageTitle
        aside={
          <div className="filters">
            <div className="filter">
              <label htmlFor="filter-environment">Environment</label>
              <select id="filter-environment" value={env ?? ''} onChange={(e) => setEnvironment(e.target.value)}>
                {names.map((n) => (
                  <option key={n}>{n}</option>
                ))}
              </select>
            </div>
            <div className="filter">
              <label htmlFor="filter-window">Window</label>
              <select id="filter-window" value={windowIndex} onChange={(e) => setWindowIndex(Number(e.target.value))}>
                {WINDOWS.map((w, i) => (
                  <option key={w.value} value={i}>
                    {w.label}
                  </option>
                ))}
              </select>
            </div>
          </div>
        }
      >
        DORA
      </PageTitle>
      <Problem problem={envs.error ?? report.error} title="DORA figures could not be read" />
      {!r && !report.error ? <Loading what="DORA figures" /> : null}
      {r ? (
        <>
          <div className="tiles">
            <Tile title="Deployment frequency" value={r.overall.deploymentFrequency.perDay === null ? '–' : `${r.overall.deploymentFrequency.perDay.toFixed(2)} / day`} band={r.overall.deploymentFrequency.band} detail={`${r.overall.deploymentFrequency.count} successful deployments`} />
            <Tile title="Lead time for changes" value={duration(r.overall.leadTime.medianMs)} band={r.overall.leadTime.band} detail={`median of ${r.overall.leadTime.samples}; p90 ${duration(r.overall.leadTime.p90Ms)}`} />
            <Tile title="Change failure rate" value={percent(r.overall.changeFailureRate.rate)} band={r.overall.changeFailureRate.band} detail={`${r.overall.changeFailureRate.count} of ${r.overall.changeFailureRate.total} changes`} />
            <Tile title="Time to restore" value={duration(r.overall.recoveryTime.medianMs)} band={r.overall.recoveryTime.band} detail={`median of ${r.overall.recoveryTime.samples}; ${r.overall.recoveryTime.unrecovered} not recovered`} />
          </div>
          <div className="charts">
            <TrendChart title={`Deployments per ${chosen.series}`} kind="bar" scale="linear" points={series((p) => p.deployments)} bands={chosen.series === 'day' ? [{ value: 1, label: 'elite >1' }] : [{ value: 7, label: 'elite >7' }, { value: 1, label: 'high ≥1' }]} format={(v) => `${v} deployments`} />
            <TrendChart title="Lead time (median)" kind="line" scale="log" points={series((p) => p.leadTimeMedianMs)} bands={[{ value: DAY, label: 'elite <1d' }, { value: 7 * DAY, label: 'high <1w' }, { value: 30 * DAY, label: 'med <30d' }]} format={duration} />
            <TrendChart title="Change failure rate" kind="bar" scale="linear" points={series((p) => p.changeFailureRate)} bands={[{ value: 0.05, label: 'elite 5%' }, { value: 0.1, label: 'high 10%' }, { value: 0.15, label: 'med 15%' }]} format={percent} />
            <TrendChart title="Time to restore (median)" kind="line" scale="log" points={series((p) => p.recoveryMedianMs)} bands={[{ value: HOUR, label: 'elite <1h' }, { value: DAY, label: 'high <1d' }, { value: 7 * DAY, label: 'med <1w' }]} format={duration} />
          </div>
          {Object.keys(r.services).length > 1 ? (
            <section aria-labelledby="dora-services">
              <h2 id="dora-services">By service</h2>
              <TableBox label="DORA by service">
                <table>
                  <Columns names={['Service', 'Deployments', 'Frequency', 'Lead time', 'Change failure rate', 'Time to restore']} />
                  <tbody>
                    {Object.entries(r.services).map(([name, m]) => (
                      <tr key={name} data-service={name}>
                        <th scope="row">{name}</th>
                        <td>{m.deploymentFrequency.count}</td>
                        <td>
                          {m.deploymentFrequency.perDay === null ? '–' : `${m.deploymentFrequency.perDay.toFixed(2)} / day`} <Band band={m.deploymentFrequency.band} />
                        </td>
                        <td>
                          {duration(m.leadTime.medianMs)} <Band band={m.leadTime.band} />
                        </td>
                        <td>
                          {percent(m.changeFailureRate.rate)} <Band band={m.changeFailureRate.band} />
                        </td>
                        <td>
                          {duration(m.recoveryTime.medianMs)} <Band band={m.recoveryTime.band} />
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </TableBox>
            </section>
          ) : null}
          <p className="muted small">
            {r.environment}, {new Date(r.from).toLocaleString()} to {new Date(r.to).toLocaleString()}. Bands from the 2023 State of DevOps report.
          </p>
        </>
      ) : null}
    </>
  );
}
