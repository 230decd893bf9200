import type { ReactNode } from 'react';
import type { ApiProblem } from '../api/types';

/** A run's, step's or revision's state as a coloured word (colour is never the only signal). */
export function StateBadge({ state }: { state: string }) {
  return <span className={`badge state-${state}`}>{state}</span>;
}

/** The server's refusal as it gave it: what failed, and what to do next. */
export function Problem({ problem, title }: { problem: ApiProblem | undefined; title?: string }) {
  if (!problem) return null;
  return (
    <div className="problem" role="alert">
      <strong>{title ?? 'Something went wrong'}:</strong> {problem.message} <code>{problem.code}</code>
      {problem.hint ? <div className="hint">{problem.hint}</div> : null}
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return <p className="muted" aria-busy="true">Loading {what}…</p>;
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty">{children}</p>;
}

/** Wide tables scroll sideways inside their box on a phone instead of widening the page. */
export function TableBox({ children, label }: { children: ReactNode; label: string }) {
  return (
    <div className="table-box" role="region" aria-label={label} tabIndex={0}>
      {children}
    </div>
  );
}

export function PageTitle({ children, aside }: { children: ReactNode; aside?: ReactNode }) {
  return (
    <div className="page-title">
      <h1>{children}</h1>
      {aside ? <div className="aside">{aside}</div> : null}
    </div>
  );
}

export function runLink(id: number | null): string {
  return id === null ? '#/runs' : `#/runs/${id}`;
}

/** A table's column headings. */
export function Columns({ names }: { names: readonly string[] }) {
  return (
    <thead>
      <tr>
        {names.map((n) => (
          <th key={n} scope="col">
            {n}
          </th>
        ))}
      </tr>
    </thead>
  );
}
