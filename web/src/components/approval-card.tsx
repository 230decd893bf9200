import { useState, type FormEvent } from 'react';
import { ApiError } from '../api/client';
import type { ApiProblem, PendingApproval } from '../api/types';
import { useSession } from '../live/session';
import { Problem } from './bits';
import { shortSha } from './format';

/**
 * One run waiting for people. The buttons say why they are disabled: the server judged whether this
 * user may decide (role, authors, who started the run, already approved, listed approvers), and a guarded environment
 * needs its confirmation phrase typed exactly. The server checks all of it again on submit.
 */
export function ApprovalCard({ approval, onDecided }: { approval: PendingApproval; onDecided: (what: string) => void }) {
  const { api } = useSession();
  const [comment, setComment] = useState('');
  const [typed, setTyped] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<ApiProblem>();
  const [done, setDone] = useState<string>();
  const { run, environment, kind, required, confirmation, approvedBy, you } = approval;
  const phraseOk = confirmation === null || kind !== 'deploy' || typed === confirmation;
  const approveBlocked = !you.mayDecide ? you.reason : !phraseOk ? `Type "${confirmation ?? ''}" to approve ${environment}.` : null;
  const rejectBlocked = !you.mayDecide ? you.reason : comment.trim() === '' ? 'Write a reason to reject.' : null;
  const idBase = `approval-${run.id}-${kind}`;

  const decide = (decision: 'approve' | 'reject') => (e?: FormEvent) => {
    e?.preventDefault();
    setBusy(true);
    setProblem(undefined);
    const body = decision === 'approve' ? { ...(comment.trim() ? { comment: comment.trim() } : {}), ...(confirmation && kind === 'deploy' ? { confirm: typed } : {}) } : { reason: comment.trim() };
    api
      .send('POST', `api/v1/runs/${run.id}/${decision}`, body)
      .then(() => {
        const what = decision === 'approve' ? 'Approved.' : 'Rejected.';
        setDone(what);
        // The card may vanish with the next read (the run stops waiting); the page keeps the word.
        onDecided(`Run #${run.id} → ${environment}: ${what}`);
      })
      .catch((err: unknown) => setProblem(err instanceof ApiError ? err.problem : { code: 'NETWORK', message: String(err) }))
      .finally(() => setBusy(false));
  };

  return (
    <article className="card approval" aria-labelledby={`${idBase}-title`} data-run={run.id}>
      <h2 id={`${idBase}-title`}>
        <a href={`#/runs/${run.id}`}>Run #{run.id}</a> → {environment}
        {kind === 'analysis' ? ' (inconclusive analysis)' : ''}
      </h2>
      <p>
        <code>{shortSha(run.sha)}</code> {run.commitMessage} — by {run.authors.length > 0 ? run.authors.join(', ') : (run.author ?? 'unknown')}, started by {run.triggeredBy}
      </p>
      {approval.message ? <p className="muted">{approval.message}</p> : null}
      <p>
        Approvals: {approvedBy.length} of {required}
        {approvedBy.length > 0 ? ` (${approvedBy.join(', ')})` : ''}
      </p>
      <form onSubmit={decide('approve')}>
        <label htmlFor={`${idBase}-comment`}>Comment</label>
        <textarea id={`${idBase}-comment`} value={comment} onChange={(e) => setComment(e.target.value)} rows={2} maxLength={2000} />
        {confirmation && kind === 'deploy' ? (
          <>
            <label htmlFor={`${idBase}-phrase`}>
              Type <strong className="phrase">{confirmation}</strong> to approve
            </label>
            <input id={`${idBase}-phrase`} value={typed} onChange={(e) => setTyped(e.target.value)} autoComplete="off" spellCheck={false} />
          </>
        ) : null}
        <div className="actions">
          <button type="submit" disabled={busy || approveBlocked !== null || done !== undefined} aria-describedby={approveBlocked ? `${idBase}-why-approve` : undefined}>
            Approve
          </button>
          <button type="button" className="danger" onClick={() => decide('reject')()} disabled={busy || rejectBlocked !== null || done !== undefined} aria-describedby={rejectBlocked === null ? undefined : rejectBlocked === approveBlocked ? `${idBase}-why-approve` : `${idBase}-why-reject`}>
            Reject
          </button>
        </div>
        {approveBlocked ? (
          <p className="why" id={`${idBase}-why-approve`}>
            {approveBlocked}
          </p>
        ) : null}
        {rejectBlocked && rejectBlocked !== approveBlocked ? (
          <p className="why muted" id={`${idBase}-why-reject`}>
            {rejectBlocked}
          </p>
        ) : null}
      </form>
      <Problem problem={problem} title="Not recorded" />
    </article>
  );
}
