import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';

export interface GateCacheEntry {
  readonly key: string;
  readonly service: string;
  readonly gate: string;
  readonly runId: number;
  readonly stepId: number;
  readonly summary: Record<string, unknown> | null;
  readonly createdAt: number;
}

/** Passes only: a failure is never cached, so a flaky gate gets its next chance. */
export class GateCacheRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async get(key: string): Promise<GateCacheEntry | undefined> {
    const r = await this.db.selectFrom('gate_cache').selectAll().where('key', '=', key).executeTakeFirst();
    return (
      r && {
        key: r.key,
        service: r.service,
        gate: r.gate,
        runId: Number(r.run_id),
        stepId: Number(r.step_id),
        summary: r.summary_json === null ? null : (JSON.parse(r.summary_json) as Record<string, unknown>),
        createdAt: Number(r.created_at),
      }
    );
  }

  async put(entry: GateCacheEntry): Promise<void> {
    await this.db
      .insertInto('gate_cache')
      .values({
        key: entry.key,
        service: entry.service,
        gate: entry.gate,
        run_id: entry.runId,
        step_id: entry.stepId,
        summary_json: entry.summary === null ? null : JSON.stringify(entry.summary),
        created_at: entry.createdAt,
      })
      .onConflict((oc) => oc.column('key').doNothing())
      .execute();
  }
}
