import type { ExpressionBuilder, Kysely } from 'kysely';
import { StepState } from '../../domain/phases.js';
import type { Step, StepError } from '../../domain/run.js';
import type { StoreDialect } from '../dialect.js';
import type { Database } from '../schema.js';
import { toStep } from './mappers.js';

export interface StepFinish {
  readonly state: typeof StepState.Succeeded | typeof StepState.Failed | typeof StepState.Cancelled | typeof StepState.Skipped;
  readonly message?: string | null;
  readonly cached?: boolean;
  readonly summary?: Readonly<Record<string, unknown>> | null;
  readonly error?: StepError | null;
}

export class StepRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialectName: StoreDialect['name'] = 'sqlite',
  ) {}

  async forRun(runId: number): Promise<Step[]> {
    const rows = await this.db.selectFrom('steps').selectAll().where('run_id', '=', runId).orderBy('position', 'asc').execute();
    return rows.map(toStep);
  }

  async forRuns(runIds: readonly number[]): Promise<Step[]> {
    if (runIds.length === 0) return [];
    const rows = await this.db.selectFrom('steps').selectAll().where('run_id', 'in', runIds).orderBy('run_id').orderBy('position').execute();
    return rows.map(toStep);
  }

  async get(id: number): Promise<Step | undefined> {
    const row = await this.db.selectFrom('steps').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toStep(row);
  }

  /**
   * Takes a step for this owner: a pending or waiting one whose time has come, or a running one whose
   * lease expired (its owner died). Atomic, so two executors can never both run it. On Postgres the
   * row is first locked with FOR UPDATE SKIP LOCKED: a server that finds another one claiming the same
   * step moves on at once instead of queueing behind its lock only to find the step taken.
   */
  async claim(id: number, owner: string, now: number, leaseMs: number): Promise<Step | undefined> {
    const claimable = (eb: ExpressionBuilder<Database, 'steps'>) =>
      eb.or([
        eb.and([eb('state', 'in', [StepState.Pending, StepState.Waiting]), eb('not_before', '<=', now)]),
        eb.and([eb('state', '=', StepState.Running), eb('lease_expires_at', '<', now)]),
      ]);
    let update = this.db
      .updateTable('steps')
      .set((eb) => ({
        state: StepState.Running,
        lease_owner: owner,
        lease_expires_at: now + leaseMs,
        attempt: eb('attempt', '+', 1),
        started_at: now,
        finished_at: null,
        error_json: null,
      }))
      .where('id', '=', id)
      .where(claimable);
    if (this.dialectName === 'postgres') {
      update = update.where('id', 'in', (qb) => qb.selectFrom('steps').select('id').where('id', '=', id).where(claimable).forUpdate().skipLocked());
    }
    const row = await update.returningAll().executeTakeFirst();
    return row && toStep(row);
  }

  /** Extends the lease; false when the step is no longer ours (so the caller stops working on it). */
  async heartbeat(id: number, owner: string, expiresAt: number): Promise<boolean> {
    const r = await this.db
      .updateTable('steps')
      .set({ lease_expires_at: expiresAt })
      .where('id', '=', id)
      .where('lease_owner', '=', owner)
      .where('state', '=', StepState.Running)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /** Records the outcome, but only if this owner still holds the step. */
  async finish(id: number, owner: string, outcome: StepFinish, now: number): Promise<boolean> {
    const r = await this.db
      .updateTable('steps')
      .set({
        state: outcome.state,
        message: outcome.message ?? null,
        cached: outcome.cached ? 1 : 0,
        summary_json: outcome.summary ? JSON.stringify(outcome.summary) : null,
        error_json: outcome.error ? JSON.stringify(outcome.error) : null,
        lease_owner: null,
        lease_expires_at: null,
        finished_at: now,
      })
      .where('id', '=', id)
      .where('lease_owner', '=', owner)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /** Makes a run's waiting steps of one kind due now (a person's decision they wait for was recorded). */
  async dueNow(runId: number, kind: string, now: number): Promise<void> {
    await this.db.updateTable('steps').set({ not_before: now }).where('run_id', '=', runId).where('kind', '=', kind).where('state', '=', StepState.Waiting).execute();
  }

  /** Gives the step back to be tried again later: after a retryable failure, or while it waits for a lock. */
  async release(id: number, owner: string, state: typeof StepState.Pending | typeof StepState.Waiting, notBefore: number, message: string | null, error: StepError | null = null): Promise<void> {
    await this.db
      .updateTable('steps')
      .set((eb) => ({
        state,
        not_before: notBefore,
        message,
        error_json: error ? JSON.stringify(error) : null,
        lease_owner: null,
        lease_expires_at: null,
        // Waiting for a lock is not an attempt at the work.
        attempt: state === StepState.Waiting ? eb('attempt', '-', 1) : eb.ref('attempt'),
      }))
      .where('id', '=', id)
      .where('lease_owner', '=', owner)
      .execute();
  }

  /** Marks steps that never ran (blocked by a failure, or cancelled) without touching finished ones. */
  async settleUnstarted(ids: readonly number[], state: typeof StepState.Skipped | typeof StepState.Cancelled, message: string, now: number): Promise<void> {
    if (ids.length === 0) return;
    await this.db
      .updateTable('steps')
      .set({ state, message, finished_at: now, lease_owner: null, lease_expires_at: null })
      .where('id', 'in', ids)
      .where('state', 'in', [StepState.Pending, StepState.Waiting])
      .execute();
  }

  /**
   * Written before the command does anything, so an orphan left by a crash can be found and stopped,
   * with the machine it runs on: with several servers, only that machine can stop it.
   */
  async setProcess(id: number, owner: string, pid: number | null, host: string | null): Promise<void> {
    await this.db.updateTable('steps').set({ pid, process_host: pid === null ? null : host }).where('id', '=', id).where('lease_owner', '=', owner).execute();
  }

  async setMessage(id: number, message: string): Promise<void> {
    await this.db.updateTable('steps').set({ message }).where('id', '=', id).execute();
  }
}
