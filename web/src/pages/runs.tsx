import { useState, type FormEvent } from 'react';
import type { Environment, Run } from '../api/types';
import { Columns, Empty, Loading, PageTitle, Problem, StateBadge, TableBox } from '../components/bits';
import { ago, duration, shortSha } from '../components/format';
import { useResource } from '../live/use-resource';
import { go } from '../route';

const STATES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;

/** Runs, newest first, filtered by state, environment and branch; the filters live in the URL so a view can be shared. */
export function RunsPage({ query }: { query: URLSearchParams }) {
  const state = query.get('state') ?? '';
  const environment = query.get('environment') ?? '';
  const branch = query.get('branch') ?? '';
  const [branchText, setBranchText] = useState(branch);
  const params = new URLSearchParams({ limit: '100' });
  if (state) params.set('state', state);
  if (environment) params.set('environment', environment);
  if (branch) params.set('branch', branch);
  const runs = useResource<{ runs: Run[] }>(`api/v1/runs?${params.toString()}`, { when: (c) => c.type === 'run' });
  const envs = useResource<{ environments: Environment[] }>('api/v1/environments');
  const setFilter = (name: string, value: string): void => {
    const next = new URLSearchParams(query);
    if (value) next.set(name, value);
    else next.delete(name);
    go(`#/runs?${next.toString()}`);
  };
  const submitBranch = (e: FormEvent): void => {
    e.preventDefault();
    setFilter('branch', branchText.trim());
  };
  return (
    <>
      <PageTitle>Runs</PageTitle>
      <form className="filters" onSubmit={submitBranch} aria-label="Filter runs">
        <div className="filter">
          <label htmlFor="filter-state">State</label>
          <select id="filter-state" value={state} onChange={(e) => setFilter('state', e.target.value)}>
            <option value="">any</option>
            {STATES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </div>
        <div className="filter">
          <label htmlFor="filter-environment">Environment</label>
          <select id="filter-environment" value={environment} onChange={(e) => setFilter('environment', e.target.value)}>
            <option value="">any</option>
            {(envs.data?.environments ?? []).map((e) => (
              <option key={e.name}>{e.name}</option>
            ))}
          </select>
        </div>
        <div className="filter">
          <label htmlFor="filter-branch">Branch</label>
          <input id="filter-branch" value={branchText} onChange={(e) => setBranchText(e.target.value)} placeholder="main" />
        </div>
        <button type="submit">Filter</button>
      </form>
      <Problem problem={runs.error} title="Runs could not be read" />
      {!runs.data && !runs.error ? <Loading what="runs" /> : null}
      {runs.data && runs.data.runs.length === 0 ? <Empty>No run matches these filters.</Empty> : null}
      {runs.data && runs.data.runs.length > 0 ? (
        <TableBox label="Runs">
          <table className="runs">
            <Columns names={['Run', 'State', 'Environment', 'Ref', 'Commit', 'By', 'Started', 'Duration']} />
            <tbody>
              {runs.data.runs.map((r) => (
                <tr key={r.id} data-run={r.id}>
                  <td>
                    <a href={`#/runs/${r.id}`}>#{r.id}</a>
                  </td>
                  <td>
                    <StateBadge state={r.state} />
                  </td>
                  <td>{r.environment ?? <span className="muted">CI only</span>}</td>
                  <td>{r.ref}</td>
                  <td title={r.commitMessage ?? ''}>
                    <code>{shortSha(r.sha)}</code> <span className="ellipsis">{r.commitMessage}</span>
                  </td>
                  <td>{r.triggeredBy}</td>
                  <td>{ago(r.startedAt ?? r.createdAt)}</td>
                  <td>{duration(r.durationMs)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableBox>
      ) : null}
    </>
  );
}
