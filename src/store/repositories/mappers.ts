import type { Selectable } from 'kysely';
import type { RunState, StepState, TriggerKind } from '../../domain/phases.js';
import type { Run, Step, StepError } from '../../domain/run.js';
import type { RunTable, StepTable } from '../schema.js';

const parse = <T>(text: string | null): T | null => (text === null ? null : (JSON.parse(text) as T));

export function toRun(row: Selectable<RunTable>): Run {
  return {
    id: Number(row.id),
    trigger: row.trigger as TriggerKind,
    branch: row.branch,
    ref: row.ref,
    sha: row.sha,
    baseSha: row.base_sha,
    environment: row.environment,
    state: row.state as RunState,
    notes: JSON.parse(row.notes) as string[],
    author: row.author,
    authors: row.authors_json === null ? (row.author === null ? [] : [row.author]) : (JSON.parse(row.authors_json) as string[]),
    triggeredBy: row.triggered_by,
    commitMessage: row.commit_message,
    commitTime: row.commit_time === null ? null : Number(row.commit_time),
    error: parse<StepError>(row.error_json),
    cancelRequested: row.cancel_requested === 1,
    createdAt: Number(row.created_at),
    startedAt: row.started_at === null ? null : Number(row.started_at),
    finishedAt: row.finished_at === null ? null : Number(row.finished_at),
  };
}

export function toStep(row: Selectable<StepTable>): Step {
  return {
    id: Number(row.id),
    runId: Number(row.run_id),
    key: row.key,
    kind: row.kind,
    name: row.name,
    service: row.service,
    environment: row.environment,
    needs: JSON.parse(row.needs_json) as string[],
    when: row.run_when === 'failure' ? 'failure' : 'success',
    spec: JSON.parse(row.spec_json) as Record<string, unknown>,
    position: row.position,
    state: row.state as StepState,
    message: row.message,
    attempt: row.attempt,
    maxAttempts: row.max_attempts,
    notBefore: Number(row.not_before),
    leaseOwner: row.lease_owner,
    leaseExpiresAt: row.lease_expires_at === null ? null : Number(row.lease_expires_at),
    pid: row.pid,
    processHost: row.process_host,
    cached: row.cached === 1,
    summary: parse<Record<string, unknown>>(row.summary_json),
    error: parse<StepError>(row.error_json),
    startedAt: row.started_at === null ? null : Number(row.started_at),
    finishedAt: row.finished_at === null ? null : Number(row.finished_at),
  };
}
