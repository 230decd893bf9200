import { useState, type FormEvent } from 'react';
import type { ApiProblem, Deployment, Environment, Run } from '../api/types';
import { Columns, Empty, Loading, PageTitle, Problem, StateBadge, TableBox } from '../components/bits';
import { shortDigest, shortSha, when } from '../components/format';
import { useSession } from '../live/session';
import { problemOf, useResource } from '../live/use-resource';
import { go } from '../route';

/**
 * Pick an earlier revision of a service, see what changes (release and artifact, from what runs
 * now), then confirm. The rollback is a run of its own; the page opens it so it can be watched.
 */
export function RollbackPage({ environment }: { environment: string | null }) {
  const { api } = useSession();
  const envs = useResource<{ environments: Environment[] }>('api/v1/environments', { when: (c) => c.type === 'run' });
  const envName = environment ?? envs.data?.environments.at(-1)?.name ?? null;
  const env = envs.data?.environments.find((e) => e.name === envName);
  const history = useResource<{ deployments: Deployment[] }>(envName ? `api/v1/environments/${envName}/history?limit=100` : null, { when: (c) => c.type === 'run' });
  const [picked, setPicked] = useState<Deployment>();
  const [reason, setReason] = useState('');
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<ApiProblem>();
  if (envs.error) return <Problem problem={envs.error} title="Environments could not be read" />;
  if (!envs.data) return <Loading what="environments" />;
  const live = picked ? env?.services.find((s) => s.service === picked.service)?.live : undefined;
  const candidates = (history.data?.deployments ?? []).filter((d) => d.state === 'succeeded' || d.state === 'rolled-back');
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    if (!picked || !envName) return;
    setBusy(true);
    setProblem(undefined);
    api
      .send<{ run: Run }>('POST', `api/v1/environments/${envName}/rollback`, { service: picked.service, toRevision: picked.revision, ...(reason.trim() ? { reason: reason.trim() } : {}) })
      .then(({ run }) => go(`#/runs/${run.id}`))
      .catch((err: unknown) => setProblem(problemOf(err)))
      .finally(() => setBusy(false));
  };
  return (
    <>
      <PageTitle>Rollback</PageTitle>
      <label className="inline">
        Environment{' '}
        <select
          value={envName ?? ''}
          onChange={(e) => {
            setPicked(undefined);
            setConfirming(false);
            go(`#/rollback/${e.target.value}`);
          }}
        >
          {envs.data.environments.map((e) => (
            <option key={e.name}>{e.name}</option>
          ))}
        </select>
      </label>
      <Problem problem={history.error} title="History could not be read" />
      {history.data && candidates.length === 0 ? <Empty>{envName} has no revision to go back to yet.</Empty> : null}
      {candidates.length > 0 ? (
        <TableBox label="Revisions">
          <table>
            <caption>Pick the revision to put back</caption>
            <Columns names={['Pick', 'Service', 'Revision', 'Release', 'State', 'Deployed', 'Reason']} />
            <tbody>
              {candidates.map((d) => {
                const isLive = env?.services.find((s) => s.service === d.service)?.live?.revision === d.revision;
                return (
                  <tr key={d.id} className={isLive ? 'is-live' : ''}>
                    <td>
                      <input
                        type="radio"
                        name="revision"
                        aria-label={`${d.service} r${d.revision}`}
                        checked={picked?.id === d.id}
                        disabled={isLive}
                        onChange={() => {
                          setPicked(d);
                          setConfirming(false);
                        }}
                      />
                    </td>
                    <td>{d.service}</td>
                    <td>
                      r{d.revision} {isLive ? <span className="badge">live</span> : null}
                    </td>
                    <td>
                      <code>{shortSha(d.release)}</code>
                    </td>
                    <td>
                      <StateBadge state={d.state} />
                    </td>
                    <td>
                      {when(d.finishedAt ?? d.createdAt)} by {d.triggeredBy}
                    </td>
                    <td>{d.reason ?? ''}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </TableBox>
      ) : null}
      {picked ? (
        <form className="card" onSubmit={submit} aria-labelledby="change-title">
          <h2 id="change-title">What will change</h2>
          <table className="compact diff">
            <thead>
              <tr>
                <th scope="col">{picked.service}</th>
                <th scope="col">Now</th>
                <th scope="col">After</th>
              </tr>
            </thead>
            <tbody>
              <tr>
                <th scope="row">Revision</th>
                <td>{live ? `r${live.revision}` : '–'}</td>
                <td>r{picked.revision} (deployed again as a new revision)</td>
              </tr>
              <tr>
                <th scope="row">Release</th>
                <td>
                  <code>{shortSha(live?.release)}</code>
                </td>
                <td>
                  <code>{shortSha(picked.release)}</code>
                </td>
              </tr>
              <tr>
                <th scope="row">Artifact</th>
                <td>
                  <code>{shortDigest(live?.digest)}</code>
                </td>
                <td>
                  <code>{shortDigest(picked.digest)}</code>
                </td>
              </tr>
              <tr>
                <th scope="row">Strategy</th>
                <td colSpan={2}>{env?.strategy}</td>
              </tr>
            </tbody>
          </table>
          <label htmlFor="rollback-reason">Reason</label>
          <input id="rollback-reason" value={reason} onChange={(e) => setReason(e.target.value)} maxLength={500} placeholder="why (shown in history and the audit log)" />
          {confirming ? (
            <div className="confirm" role="alertdialog" aria-labelledby="confirm-text">
              <p id="confirm-text">
                Roll back {envName}/{picked.service} to r{picked.revision} ({shortSha(picked.release)})?
              </p>
              <div className="actions">
                <button type="submit" className="danger" disabled={busy} autoFocus>
                  {busy ? 'Starting…' : 'Confirm rollback'}
                </button>
                <button type="button" onClick={() => setConfirming(false)}>
                  Keep what runs
                </button>
              </div>
            </div>
          ) : (
            <div className="actions">
              <button type="button" onClick={() => setConfirming(true)}>
                Roll back…
              </button>
            </div>
          )}
          <Problem problem={problem} title="Not rolled back" />
        </form>
      ) : null}
    </>
  );
}
