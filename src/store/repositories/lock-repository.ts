import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';

export interface EnvironmentLock {
  readonly environment: string;
  readonly runId: number;
  readonly acquiredAt: number;
}

/** One row per held environment lock; the primary key makes a second holder impossible. */
export class LockRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** Takes the lock for the run (again, if it already holds it) and returns the holder after the attempt. */
  async acquire(environment: string, runId: number, now: number): Promise<EnvironmentLock> {
    await this.db
      .insertInto('env_locks')
      .values({ environment, run_id: runId, acquired_at: now })
      .onConflict((oc) => oc.column('environment').doNothing())
      .execute();
    const holder = await this.holder(environment);
    if (!holder) throw new Error(`lock row for ${environment} vanished`);
    return holder;
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
