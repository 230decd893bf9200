import { useState } from 'react';
import type { PendingApproval } from '../api/types';
import { ApprovalCard } from '../components/approval-card';
import { Empty, Loading, PageTitle, Problem } from '../components/bits';
import { useResource } from '../live/use-resource';

export function ApprovalsPage() {
  const approvals = useResource<{ approvals: PendingApproval[] }>('api/v1/approvals', { when: () => true });
  const [decided, setDecided] = useState<string>();
  return (
    <>
      <PageTitle>Approvals</PageTitle>
      {decided ? (
        <p className="ok" role="status">
          {decided}
        </p>
      ) : null}
      <Problem problem={approvals.error} title="Approvals could not be read" />
      {!approvals.data && !approvals.error ? <Loading what="approvals" /> : null}
      {approvals.data?.approvals.length === 0 ? <Empty>Nothing is waiting for an approval.</Empty> : null}
      {approvals.data?.approvals.map((a) => <ApprovalCard key={`${a.kind}-${a.run.id}`} approval={a} onDecided={(what) => {
            setDecided(what);
            approvals.reload();
          }} />)}
    </>
  );
}
