import { useState } from 'react';
import type { ApiProblem, Backup, Run } from '../api/types';
import { Columns, Empty, Loading, PageTitle, Problem, TableBox } from '../components/bits';
import { shortDigest, shortSha, when } from '../components/format';
import { useSession } from '../live/session';
import { problemOf, useResource } from '../live/use-resource';
import { go } from '../route';

export function BackupsPage() {
  const backups = useResource<{ backups: Backup[] }>('api/v1/backups', { when: (c) => c.type === 'run' });
  return (
    <>
      <PageTitle>Backups</PageTitle>
      <Problem problem={backups.error} title="Backups could not be read" />
      {!backups.data && !backups.error ? <Loading what="backups" /> : null}
      {backups.data?.backups.length === 0 ? <Empty>No backup yet: one is taken before each deployment to an environment that asks for it.</Empty> : null}
      {backups.data && backups.data.backups.length > 0 ? (
        <TableBox label="Backups">
          <table>
            <Columns names={['Backup', 'Environment', 'Taken', 'By run', 'Services', 'Reason', 'Expires']} />
            <tbody>
              {backups.data.backups.map((b) => (
                <tr key={b.id}>
                  <td>
                    <a href={`#/backups/${b.id}`}>#{b.id}</a>
                  </td>
                  <td>{b.environment}</td>
                  <td>{when(b.createdAt)}</td>
                  <td>{b.runId ? <a href={`#/runs/${b.runId}`}>#{b.runId}</a> : '–'}</td>
                  <td>{b.services.map((s) => `${s.service} r${s.revision}`).join(', ') || 'none'}</td>
                  <td>{b.reason}</td>
                  <td>{when(b.expiresAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableBox>
      ) : null}
    </>
  );
}

/** One backup: what it holds, and a restore that needs the environment's name typed to go ahead. */
export function BackupPage({ id }: { id: number }) {
  const { api } = useSession();
  const backup = useResource<{ backup: Backup }>(`api/v1/backups/${id}`);
  const [typed, setTyped] = useState('');
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<ApiProblem>();
  if (backup.error) return <Problem problem={backup.error} title={`Backup #${id} could not be read`} />;
  if (!backup.data) return <Loading what={`backup #${id}`} />;
  const b = backup.data.backup;
  const restore = (): void => {
    setBusy(true);
    api
      .send<{ run: Run }>('POST', `api/v1/backups/${id}/restore`, reason.trim() ? { reason: reason.trim() } : {})
      .then(({ run }) => go(`#/runs/${run.id}`))
      .catch((e: unknown) => setProblem(problemOf(e)))
      .finally(() => setBusy(false));
  };
  return (
    <>
      <PageTitle>
        Backup #{b.id} of {b.environment}
      </PageTitle>
      <p>
        Taken {when(b.createdAt)} {b.runId ? <>by <a href={`#/runs/${b.runId}`}>run #{b.runId}</a></> : null}: {b.reason}. Kept until {when(b.expiresAt)}.
      </p>
      <TableBox label="Services in the backup">
        <table>
          <Columns names={['Service', 'Revision', 'Release', 'Artifact']} />
          <tbody>
            {b.services.map((s) => (
              <tr key={s.service}>
                <td>{s.service}</td>
                <td>r{s.revision}</td>
                <td>
                  <code>{shortSha(s.release)}</code>
                </td>
                <td>
                  <code>{shortDigest(s.digest)}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableBox>
      <form
        className="card"
        onSubmit={(e) => {
          e.preventDefault();
          restore();
        }}
        aria-labelledby="restore-title"
      >
        <h2 id="restore-title">Restore</h2>
        <p>Deploys exactly these revisions to {b.environment} again, with its strategy and checks.</p>
        <label htmlFor="restore-reason">Reason</label>
        <input id="restore-reason" value={reason} onChange={(e) => setReason(e.target.value)} maxLength={500} />
        <label htmlFor="restore-confirm">
          Type <strong className="phrase">{b.environment}</strong> to confirm
        </label>
        <input id="restore-confirm" value={typed} onChange={(e) => setTyped(e.target.value)} autoComplete="off" spellCheck={false} />
        <div className="actions">
          <button type="submit" className="danger" disabled={busy || typed !== b.environment || b.services.length === 0}>
            Restore backup #{b.id}
          </button>
        </div>
        {b.services.length === 0 ? <p className="why">This backup holds no service: nothing was deployed when it was taken.</p> : typed !== b.environment ? <p className="why muted">Type the environment's name to enable the restore.</p> : null}
        <Problem problem={problem} title="Not restored" />
      </form>
    </>
  );
}
