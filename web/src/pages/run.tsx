import { useEffect, useRef, useState } from 'react';
import { follow } from '../api/sse';
import type { ApiProblem, LogLine, PendingApproval, Run, Step } from '../api/types';
import { ApprovalCard } from '../components/approval-card';
import { CanaryCard, canariesOf } from '../components/canary-card';
import { Loading, PageTitle, Problem, StateBadge } from '../components/bits';
import { duration, shortSha, when } from '../components/format';
import { StepGraph } from '../components/step-graph';
import { SummaryView } from '../components/summary-view';
import { useSession } from '../live/session';
import { problemOf, useResource } from '../live/use-resource';

const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);
/** The log panel keeps the newest lines only; the full log stays on the server (`gantry logs`). */
const MAX_LINES = 3_000;

/** The run and its steps, kept current by the run's own event stream. */
function useRun(id: number): { run: Run | undefined; steps: Step[]; problem: ApiProblem | undefined } {
  const { api } = useSession();
  const [run, setRun] = useState<Run>();
  const [steps, setSteps] = useState<Step[]>([]);
  const [problem, setProblem] = useState<ApiProblem>();
  useEffect(() => {
    // The page is keyed by run id (app.tsx), so a new run starts from fresh state.
    const stop = new AbortController();
    const upsert = (step: Step): void => setSteps((all) => (all.some((s) => s.id === step.id) ? all.map((s) => (s.id === step.id ? step : s)) : [...all, step]));
    api
      .get<{ run: Run; steps: Step[] }>(`api/v1/runs/${id}`, stop.signal)
      .then(async (first) => {
        setRun(first.run);
        setSteps(first.steps);
        if (TERMINAL.has(first.run.state)) return;
        // Resumed after a drop (a server restart) with the last event id: only what changed since is sent.
        await follow(api, `api/v1/runs/${id}/events`, stop.signal, (e) => {
          if (e.event === 'step') upsert(e.data as Step);
          if (e.event === 'run') setRun(e.data as Run);
          if (e.event === 'end') setRun((e.data as { run: Run }).run);
        });
        if (stop.signal.aborted) return;
        // The stream ends with the run; one last read picks up the final summaries.
        const last = await api.get<{ run: Run; steps: Step[] }>(`api/v1/runs/${id}`, stop.signal);
        setRun(last.run);
        setSteps(last.steps);
      })
      .catch((e: unknown) => {
        if (!stop.signal.aborted) setProblem(problemOf(e));
      });
    return () => stop.abort();
  }, [api, id]);
  return { run, steps, problem };
}

function Logs({ runId, step }: { runId: number; step: string | null }) {
  const { api } = useSession();
  const [lines, setLines] = useState<LogLine[]>([]);
  const [ended, setEnded] = useState(false);
  const box = useRef<HTMLPreElement>(null);
  const stick = useRef(true);
  useEffect(() => {
    // Keyed by run and step (below): choosing another step starts a fresh panel.
    const stop = new AbortController();
    let buffer: LogLine[] = [];
    let frame = 0;
    const flush = (): void => {
      frame = 0;
      const add = buffer;
      buffer = [];
      setLines((all) => [...all, ...add].slice(-MAX_LINES));
    };
    const path = `api/v1/runs/${runId}/logs?follow=1${step ? `&step=${encodeURIComponent(step)}` : ''}`;
    // Resumed after a drop with the last line's id: no line twice, none lost.
    follow(api, path, stop.signal, (e) => {
      if (e.event === 'log') {
        buffer.push(e.data as LogLine);
        frame ||= requestAnimationFrame(flush);
      }
      if (e.event === 'end') setEnded(true);
    }).catch(() => undefined);
    return () => {
      stop.abort();
      if (frame) cancelAnimationFrame(frame);
    };
  }, [api, runId, step]);
  useEffect(() => {
    if (stick.current && box.current) box.current.scrollTop = box.current.scrollHeight;
  }, [lines]);
  return (
    <section aria-labelledby="logs-title">
      <h2 id="logs-title">
        Logs {step ? <code>{step}</code> : '(all steps)'} {ended ? <span className="muted small">complete</span> : <span className="live on small">following</span>}
      </h2>
      <pre
        className="logs"
        ref={box}
        tabIndex={0}
        aria-label="Log lines"
        onScroll={(e) => {
          const el = e.currentTarget;
          stick.current = el.scrollTop + el.clientHeight >= el.scrollHeight - 8;
        }}
      >
        {lines.length === 0 ? <span className="muted">{ended ? 'No output.' : 'Waiting for output…'}</span> : null}
        {lines.map((l) => (
          <div key={l.id} className={`line ${l.stream}`}>
            {step ? '' : <span className="muted">{l.step ?? ''} </span>}
            {l.text}
          </div>
        ))}
      </pre>
    </section>
  );
}

function CancelButton({ run }: { run: Run }) {
  const { api } = useSession();
  const [problem, setProblem] = useState<ApiProblem>();
  const [busy, setBusy] = useState(false);
  if (TERMINAL.has(run.state)) return null;
  return (
    <>
      <button
        type="button"
        className="danger"
        disabled={busy}
        onClick={() => {
          setBusy(true);
          api
            .send('POST', `api/v1/runs/${run.id}/cancel`)
            .catch((e: unknown) => setProblem(problemOf(e)))
            .finally(() => setBusy(false));
        }}
      >
        Cancel run
      </button>
      <Problem problem={problem} title="Not cancelled" />
    </>
  );
}

export function RunPage({ id }: { id: number }) {
  const { run, steps, problem } = useRun(id);
  const [selected, setSelected] = useState<string | null>(null);
  const [decided, setDecided] = useState<string>();
  const approvals = useResource<{ approvals: PendingApproval[] }>('api/v1/approvals', { when: (c) => c.runId === id });
  if (problem) return <Problem problem={problem} title={`Run #${id} could not be read`} />;
  if (!run) return <Loading what={`run #${id}`} />;
  const waiting = (approvals.data?.approvals ?? []).filter((a) => a.run.id === id);
  const results = steps.filter((s) => s.summary && Object.keys(s.summary).length > 0);
  const failed = steps.filter((s) => s.error);
  return (
    <>
      <PageTitle aside={<CancelButton run={run} />}>
        Run #{run.id} <StateBadge state={run.state} />
      </PageTitle>
      <dl className="facts">
        <div>
          <dt>Ref</dt>
          <dd>
            {run.ref} <code>{shortSha(run.sha)}</code>
          </dd>
        </div>
        <div>
          <dt>Environment</dt>
          <dd>{run.environment ?? 'CI only'}</dd>
        </div>
        <div>
          <dt>Change</dt>
          <dd>
            {run.commitMessage ?? '–'} <span className="muted">by {run.author ?? 'unknown'}</span>
          </dd>
        </div>
        <div>
          <dt>Started</dt>
          <dd>
            {when(run.startedAt ?? run.createdAt)} by {run.triggeredBy}
          </dd>
        </div>
        <div>
          <dt>Duration</dt>
          <dd>{duration(run.durationMs)}</dd>
        </div>
      </dl>
      {run.notes.length > 0 ? (
        <ul className="notes">
          {run.notes.map((n, i) => (
            <li key={i}>{n}</li>
          ))}
        </ul>
      ) : null}
      <Problem problem={run.error ?? undefined} title="The run failed" />
      {decided ? (
        <p className="ok" role="status">
          {decided}
        </p>
      ) : null}
      {waiting.map((a) => (
        <ApprovalCard
          key={`${a.kind}-${a.run.id}`}
          approval={a}
          onDecided={(what) => {
            setDecided(what);
            approvals.reload();
          }}
        />
      ))}
      {canariesOf(steps).map((c) => (
        <CanaryCard key={c.service} run={run} canary={c} />
      ))}
      <section aria-labelledby="steps-title">
        <h2 id="steps-title">Steps</h2>
        <StepGraph steps={steps} selected={selected} onSelect={setSelected} />
      </section>
      {failed.length > 0 ? (
        <section aria-labelledby="failures-title">
          <h2 id="failures-title">Failures</h2>
          {failed.map((s) => (
            <div key={s.key} className="card">
              <Problem problem={s.error ?? undefined} title={s.name} />
              {s.error?.logTail && s.error.logTail.length > 0 ? <pre className="logs short">{s.error.logTail.join('\n')}</pre> : null}
            </div>
          ))}
        </section>
      ) : null}
      {results.length > 0 ? (
        <section aria-labelledby="results-title">
          <h2 id="results-title">Results</h2>
          <div className="results">
            {results.map((s) => (
              <article key={s.key} className="card" data-result={s.key}>
                <h3>
                  {s.name} {s.cached ? <span className="badge cached">cached</span> : null}
                </h3>
                <SummaryView value={s.summary ?? {}} />
              </article>
            ))}
          </div>
        </section>
      ) : null}
      <Logs key={`${id}-${selected ?? ''}`} runId={id} step={selected} />
    </>
  );
}
