import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';

export interface StoredEvent {
  readonly id: number;
  readonly at: number;
  readonly kind: string;
  readonly actor: string;
  readonly runId: number | null;
  readonly data: Record<string, unknown>;
}

/** Append-only: there is no update or delete here on purpose. */
export class EventRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async append(kind: string, actor: string, runId: number | null, data: Record<string, unknown>, now: number): Promise<void> {
    await this.db.insertInto('events').values({ at: now, kind, actor, run_id: runId, data_json: JSON.stringify(data) }).execute();
  }

  async list(limit = 100, runId?: number): Promise<StoredEvent[]> {
    let q = this.db.selectFrom('events').selectAll().orderBy('id', 'desc').limit(limit);
    if (runId !== undefined) q = q.where('run_id', '=', runId);
    const rows = await q.execute();
    return rows.map((r) => ({ id: Number(r.id), at: Number(r.at), kind: r.kind, actor: r.actor, runId: r.run_id, data: JSON.parse(r.data_json) as Record<string, unknown> }));
  }
}
