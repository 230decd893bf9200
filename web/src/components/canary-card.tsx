import { useState } from 'react';
import type { ApiProblem, Run, Step } from '../api/types';
import { useSession } from '../live/session';
import { problemOf } from '../live/use-resource';
import { Problem } from './bits';

/** A deploy step's message while its canary runs, as the server writes it: "api canary r4: step 2/4 (analysis), 10 % of main traffic". */
const CANARY_MESSAGE = /^(\S+) canary r(\d+): (.*), (\d+) % of main traffic$/;

export interface CanaryView {
  readonly step: Step;
  readonly service: string;
  readonly revision: number;
  readonly at: string;
  readonly weight: number;
  readonly paused: boolean;
}

/** The canaries a run's deploy steps are walking now, read from their live messages (they change with every pass). */
export function canariesOf(steps: readonly Step[]): CanaryView[] {
  return steps.flatMap((step) => {
    if (step.kind !== 'deploy' || (step.state !== 'waiting' && step.state !== 'running')) return [];
    const m = CANARY_MESSAGE.exec(step.message ?? '');
    if (!m) return [];
    const at = m[3] ?? '';
    return [{ step, service: m[1] ?? '', revision: Number(m[2]), at, weight: Number(m[4]), paused: at.includes('paused') }];
  });
}

/**
 * One running canary: where it is, its share of the main route as a bar, and a person's two calls on
 * it. Promote is offered only while it waits in a pause; the server checks the role and the state
 * again, and records both in the audit log.
 */
export function CanaryCard({ run, canary }: { run: Run; canary: CanaryView }) {
  const { api } = useSession();
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<ApiProblem>();
  const [done, setDone] = useState<string>();
  const idBase = `canary-${run.id}-${canary.service}`;
  const decide = (what: 'promote' | 'abort') => () => {
    setBusy(true);
    setProblem(undefined);
    api
      .send('POST', `api/v1/runs/${run.id}/${what}`, {})
      .then(() => setDone(what === 'promote' ? 'Promoted: the canary goes on to its next step.' : 'Aborted: the stable revision takes all traffic and the run rolls back.'))
      .catch((e: unknown) => setProblem(problemOf(e)))
      .finally(() => setBusy(false));
  };
  return (
    <article className="card canary" aria-labelledby={`${idBase}-title`} data-service={canary.service}>
      <h2 id={`${idBase}-title`}>
        Canary: {canary.service} r{canary.revision}
      </h2>
      <p className="canary-step">{canary.at}</p>
      <div className="canary-weight" role="meter" aria-label={`${canary.service} canary share of main traffic`} aria-valuemin={0} aria-valuemax={100} aria-valuenow={canary.weight}>
        <span style={{ width: `${canary.weight}%` }} />
      </div>
      <p>
        <strong className="canary-share">{canary.weight} %</strong> of main traffic on the canary, {100 - canary.weight} % on the stable revision
      </p>
      {done ? (
        <p className="ok" role="status">
          {done}
        </p>
      ) : (
        <div className="actions">
          <button type="button" onClick={decide('promote')} disabled={busy || !canary.paused} title={canary.paused ? undefined : 'Promote ends a pause; this canary is not paused.'}>
            Promote
          </button>
          <button type="button" className="danger" onClick={decide('abort')} disabled={busy}>
            Abort
          </button>
        </div>
      )}
      <Problem problem={problem} title="Not done" />
    </article>
  );
}
