import type { Kysely } from 'kysely';
import { RunState, StepState, type TriggerKind } from '../../domain/phases.js';
import type { Plan, Run, StepError } from '../../domain/run.js';
import type { Database } from '../schema.js';
import { toRun } from './mappers.js';

/** The states a run never leaves; `finish` changes only a run in none of them. */
export const TERMINAL_RUN_STATES: readonly RunState[] = [RunState.Succeeded, RunState.Failed, RunState.Cancelled];

export interface NewRun {
  readonly trigger: TriggerKind;
  readonly branch: string | null;
  readonly ref: string;
  readonly sha: string;
  readonly baseSha: string | null;
  readonly environment: string | null;
  readonly author: string | null;
  /** Every author of base..sha; defaults to `author` alone. */
  readonly authors?: readonly string[];
  readonly triggeredBy: string;
  readonly commitMessage: string | null;
  readonly commitTime?: number | null;
  readonly configJson: string | null;
}

export interface RunFilter {
  readonly state?: string;
  readonly branch?: string;
  readonly environment?: string;
  /** Runs of this commit. */
  readonly sha?: string;
  readonly limit?: number;
  readonly beforeId?: number;
}

export class RunRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** Persists the run and its whole plan in one transaction: nothing acts on a plan that is not stored. */
  async create(run: NewRun, plan: Plan, now: number, error?: StepError): Promise<Run> {
    return this.db.transaction().execute(async (trx) => {
      const row = await trx
        .insertInto('runs')
        .values({
          trigger: run.trigger,
          branch: run.branch,
          ref: run.ref,
          sha: run.sha,
          base_sha: run.baseSha,
          environment: run.environment,
          state: error ? RunState.Failed : RunState.Queued,
          notes: JSON.stringify(plan.notes),
          author: run.author,
          authors_json: JSON.stringify(run.authors ?? (run.author === null ? [] : [run.author])),
          triggered_by: run.triggeredBy,
          commit_message: run.commitMessage,
          commit_time: run.commitTime ?? null,
          config_json: run.configJson,
          error_json: error ? JSON.stringify(error) : null,
          cancel_requested: 0,
          created_at: now,
          finished_at: error ? now : null,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      let position = 0;
      for (const step of plan.steps) {
        await trx
          .insertInto('steps')
          .values({
            run_id: row.id,
            key: step.key,
            kind: step.kind,
            name: step.name,
            service: step.service ?? null,
            environment: step.environment ?? null,
            needs_json: JSON.stringify(step.needs),
            run_when: step.when ?? 'success',
            spec_json: JSON.stringify(step.spec),
            position: position++,
            state: StepState.Pending,
            max_attempts: step.maxAttempts,
            attempt: 0,
            not_before: 0,
            cached: 0,
            pid: null,
          })
          .execute();
      }
      return toRun(row);
    });
  }

  async get(id: number): Promise<Run | undefined> {
    const row = await this.db.selectFrom('runs').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toRun(row);
  }

  async list(filter: RunFilter = {}): Promise<Run[]> {
    let q = this.db.selectFrom('runs').selectAll().orderBy('id', 'desc').limit(filter.limit ?? 50);
    if (filter.state) q = q.where('state', '=', filter.state);
    if (filter.branch) q = q.where('branch', '=', filter.branch);
    if (filter.environment) q = q.where('environment', '=', filter.environment);
    if (filter.sha) q = q.where('sha', '=', filter.sha);
    if (filter.beforeId) q = q.where('id', '<', filter.beforeId);
    return (await q.execute()).map(toRun);
  }

  /** Runs the executor still has to drive: queued or running, oldest first. */
  async listActive(): Promise<Run[]> {
    const rows = await this.db
      .selectFrom('runs')
      .selectAll()
      .where('state', 'in', [RunState.Queued, RunState.Running])
      .orderBy('id', 'asc')
      .execute();
    return rows.map(toRun);
  }

  async markStarted(id: number, now: number): Promise<void> {
    await this.db.updateTable('runs').set({ state: RunState.Running, started_at: now }).where('id', '=', id).where('state', '=', RunState.Queued).execute();
  }

  /**
   * Ends the run and releases its environment locks in one transaction, so no crash can leave a
   * finished run holding a lock. Guarded by the run's state: of two executors finishing the same run,
   * only the one whose update changed the row gets true and goes on (events, notifications, cleanups).
   */
  async finish(id: number, state: RunState, now: number, error: StepError | null): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const result = await trx
        .updateTable('runs')
        .set({ state, finished_at: now, error_json: error ? JSON.stringify(error) : null })
        .where('id', '=', id)
        .where('state', 'not in', TERMINAL_RUN_STATES)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) return false;
      await trx.deleteFrom('env_locks').where('run_id', '=', id).execute();
      return true;
    });
  }

  /** Returns false when the run had already finished. */
  async requestCancel(id: number): Promise<boolean> {
    const result = await this.db
      .updateTable('runs')
      .set({ cancel_requested: 1 })
      .where('id', '=', id)
      .where('state', 'in', [RunState.Queued, RunState.Running])
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async addNote(id: number, note: string): Promise<void> {
    const run = await this.get(id);
    if (!run || run.notes.includes(note)) return;
    await this.db.updateTable('runs').set({ notes: JSON.stringify([...run.notes, note]) }).where('id', '=', id).execute();
  }
}
