import type { Kysely } from 'kysely';
import { chainRows } from '../../domain/audit-chain.js';
import type { StoreDialect } from '../dialect.js';

/** The events table as this migration sees it (a migration never follows later schema changes). */
interface EventsV3 {
  events: { id: number; at: number; kind: string; actor: string; run_id: number | null; data_json: string; prev_hash: string | null; hash: string | null };
}

/**
 * The audit hash chain (DESIGN.md invariant 7): each event row carries the hash of the row before
 * it and its own. Nullable so the columns can be added to a table that has rows on every backend;
 * the rows already there are chained here, in id order, so `gantry audit verify` covers them too.
 */
export async function up(db: Kysely<unknown>, _dialect: StoreDialect): Promise<void> {
  await db.schema.alterTable('events').addColumn('prev_hash', 'text').execute();
  await db.schema.alterTable('events').addColumn('hash', 'text').execute();

  const events = db as unknown as Kysely<EventsV3>;
  const rows = await events.selectFrom('events').select(['id', 'at', 'kind', 'actor', 'run_id', 'data_json']).orderBy('id', 'asc').execute();
  const chained = chainRows(rows.map((r) => ({ id: Number(r.id), at: Number(r.at), kind: r.kind, actor: r.actor, runId: r.run_id === null ? null : Number(r.run_id), dataJson: r.data_json, prevHash: null })));
  for (const row of chained) {
    await events.updateTable('events').set({ prev_hash: row.prevHash, hash: row.hash }).where('id', '=', row.id).execute();
  }
}
