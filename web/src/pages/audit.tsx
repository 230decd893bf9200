import { useState } from 'react';
import type { AuditEvent, AuditVerification } from '../api/types';
import { Columns, Loading, PageTitle, Problem, TableBox } from '../components/bits';
import { when } from '../components/format';
import { useResource } from '../live/use-resource';

/** The audit log, newest first, with the result of walking its hash chain. */
export function AuditPage() {
  const events = useResource<{ events: AuditEvent[] }>('api/v1/audit?limit=500', { when: () => true });
  const verdict = useResource<AuditVerification>('api/v1/audit/verify', { when: () => true });
  const [filter, setFilter] = useState('');
  const v = verdict.data;
  const shown = (events.data?.events ?? []).filter((e) => filter === '' || `${e.kind} ${e.actor}`.includes(filter)).reverse();
  return (
    <>
      <PageTitle>Audit</PageTitle>
      {v ? (
        <p className={v.ok ? 'verdict ok' : 'verdict broken'} role="status" data-ok={v.ok}>
          {v.ok ? `Chain verified: ${v.rows} events, none edited or deleted.` : `Chain broken at event #${v.brokenAt}: ${v.reason}`}
        </p>
      ) : null}
      <Problem problem={verdict.error ?? events.error} title="The audit log could not be read" />
      <label className="inline">
        Filter{' '}
        <input value={filter} onChange={(e) => setFilter(e.target.value)} placeholder="approval, rollback, alice…" />
      </label>
      {!events.data && !events.error ? <Loading what="events" /> : null}
      {events.data ? (
        <TableBox label="Audit events">
          <table className="audit">
            <Columns names={['#', 'When', 'Event', 'Who', 'Run', 'Details', 'Hash']} />
            <tbody>
              {shown.map((e) => (
                <tr key={e.id} className={v && !v.ok && v.brokenAt === e.id ? 'broken' : ''}>
                  <td>{e.id}</td>
                  <td>{when(e.at)}</td>
                  <td>{e.kind}</td>
                  <td>{e.actor}</td>
                  <td>{e.runId ? <a href={`#/runs/${e.runId}`}>#{e.runId}</a> : ''}</td>
                  <td>
                    <code className="data">{JSON.stringify(e.data)}</code>
                  </td>
                  <td>
                    <code title={e.hash}>{e.hash.slice(0, 10)}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableBox>
      ) : null}
    </>
  );
}
