import type { Run, Step } from '../domain/run.js';

/** The API's JSON shapes (documented in docs/api.md and docs/cli.md). Times are ISO-8601 strings. */
const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export interface RunView {
  id: number;
  trigger: string;
  branch: string | null;
  ref: string;
  sha: string;
  baseSha: string | null;
  environment: string | null;
  state: string;
  notes: readonly string[];
  author: string | null;
  /** Every author of the commits the run brings in (base..sha); none of them may approve it. */
  authors: readonly string[];
  triggeredBy: string;
  commitMessage: string | null;
  commitTime: string | null;
  error: Run['error'];
  createdAt: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
}

export interface StepView {
  id: number;
  key: string;
  kind: string;
  name: string;
  service: string | null;
  environment: string | null;
  needs: readonly string[];
  state: string;
  message: string | null;
  attempt: number;
  maxAttempts: number;
  cached: boolean;
  summary: Step['summary'];
  error: Step['error'];
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
}

const duration = (start: number | null, end: number | null): number | null => (start === null || end === null ? null : end - start);

export function runView(run: Run): RunView {
  return {
    id: run.id,
    trigger: run.trigger,
    branch: run.branch,
    ref: run.ref,
    sha: run.sha,
    baseSha: run.baseSha,
    environment: run.environment,
    state: run.state,
    notes: run.notes,
    author: run.author,
    authors: run.authors,
    triggeredBy: run.triggeredBy,
    commitMessage: run.commitMessage,
    commitTime: iso(run.commitTime),
    error: run.error,
    createdAt: iso(run.createdAt),
    startedAt: iso(run.startedAt),
    finishedAt: iso(run.finishedAt),
    durationMs: duration(run.startedAt ?? run.createdAt, run.finishedAt),
  };
}

export function stepView(step: Step): StepView {
  return {
    id: step.id,
    key: step.key,
    kind: step.kind,
    name: step.name,
    service: step.service,
    environment: step.environment,
    needs: step.needs,
    state: step.state,
    message: step.message,
    attempt: step.attempt,
    maxAttempts: step.maxAttempts,
    cached: step.cached,
    summary: step.summary,
    error: step.error,
    startedAt: iso(step.startedAt),
    finishedAt: iso(step.finishedAt),
    durationMs: duration(step.startedAt, step.finishedAt),
  };
}
