import type { Kysely } from 'kysely';
import { isTerminalRun, type RunState } from '../../domain/phases.js';
import type { Database } from '../schema.js';

export interface EnvironmentLock {
  readonly environment: string;
  readonly runId: number;
  readonly acquiredAt: number;
}

/** A lock left by a run that had ended (or was gone) and was taken away from it. */
export interface EvictedHolder {
  readonly runId: number;
  /** The ended run's state; null when the run no longer exists. */
  readonly runState: RunState | null;
}

export interface LockAttempt extends EnvironmentLock {
  /** Set when this attempt evicted a holder whose run had ended. */
  readonly evicted?: EvictedHolder;
}

/** Tries at taking a lock that keeps being released under the attempt (only ever a few on a busy database). */
const LOCK_ATTEMPTS = 5;

/** One row per held environment lock; the primary key makes a second holder impossible. */
export class LockRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * Takes the lock for the run (again, if it already holds it) and returns the holder after the
   * attempt. A holder whose run has ended (succeeded, failed, cancelled) or no longer exists is a lock
   * an older version or a crash left behind: it is evicted in the same transaction as the lock is taken,
   * and the result names it so the caller can say so.
   */
  async acquire(environment: string, runId: number, now: number): Promise<LockAttempt> {
    return this.db.transaction().execute(async (trx) => {
      let evicted: EvictedHolder | undefined;
      const current = await trx.selectFrom('env_locks').select('run_id').where('environment', '=', environment).executeTakeFirst();
      if (current && Number(current.run_id) !== runId) {
        const run = await trx.selectFrom('runs').select('state').where('id', '=', current.run_id).executeTakeFirst();
        if (!run || isTerminalRun(run.state)) {
          await trx.deleteFrom('env_locks').where('environment', '=', environment).where('run_id', '=', current.run_id).execute();
          evicted = { runId: Number(current.run_id), runState: run ? (run.state as RunState) : null };
        }
      }
      // On Postgres (read committed) the holder the insert yielded to may release the lock before the
      // select reads it (its run ended on another server): the row is then gone, and free to take.
      for (let attempt = 0; attempt < LOCK_ATTEMPTS; attempt++) {
        await trx
          .insertInto('env_locks')
          .values({ environment, run_id: runId, acquired_at: now })
          .onConflict((oc) => oc.column('environment').doNothing())
          .execute();
        const row = await trx.selectFrom('env_locks').selectAll().where('environment', '=', environment).executeTakeFirst();
        if (row) return { environment: row.environment, runId: Number(row.run_id), acquiredAt: Number(row.acquired_at), ...(evicted ? { evicted } : {}) };
      }
      throw new Error(`the lock of ${environment} changed hands ${LOCK_ATTEMPTS} times while it was being taken`);
    });
  }

  async holder(environment: string): Promise<EnvironmentLock | undefined> {
    const row = await this.db.selectFrom('env_locks').selectAll().where('environment', '=', environment).executeTakeFirst();
    return row && { environment: row.environment, runId: Number(row.run_id), acquiredAt: Number(row.acquired_at) };
  }

  async releaseAll(runId: number): Promise<void> {
    await this.db.deleteFrom('env_locks').where('run_id', '=', runId).execute();
  }

  async list(): Promise<EnvironmentLock[]> {
    const rows = await this.db.selectFrom('env_locks').selectAll().orderBy('environment').execute();
    return rows.map((r) => ({ environment: r.environment, runId: Number(r.run_id), acquiredAt: Number(r.acquired_at) }));
  }
}
