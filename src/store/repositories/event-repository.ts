import type { Kysely, Selectable } from 'kysely';
import type { StoreDialect } from '../dialect.js';
import { GENESIS_HASH, rowHash, verifyChain, type ChainRow, type ChainVerdict } from '../../domain/audit-chain.js';
import type { AuditEvent, StoredEvent } from '../../domain/event.js';
import type { Database, EventTable } from '../schema.js';

const DEFAULT_SINCE_LIMIT = 1000;
/** The key every server's audit appends take turns on. */
const AUDIT_CHAIN_LOCK = 'gantry.audit-chain';

function toEvent(r: Selectable<EventTable>): AuditEvent {
  return { id: Number(r.id), at: Number(r.at), kind: r.kind, actor: r.actor, runId: r.run_id === null ? null : Number(r.run_id), data: JSON.parse(r.data_json) as Record<string, unknown>, prevHash: r.prev_hash, hash: r.hash };
}

function toChainRow(r: Selectable<EventTable>): ChainRow {
  return { id: Number(r.id), at: Number(r.at), kind: r.kind, actor: r.actor, runId: r.run_id === null ? null : Number(r.run_id), dataJson: r.data_json, prevHash: r.prev_hash, hash: r.hash };
}

/**
 * Append-only and hash-chained (DESIGN.md invariant 7): there is no update or delete here on
 * purpose, and `verify` finds the first row that was edited, deleted, inserted or re-ordered.
 */
export class EventRepository {
  /** Appends run one after another, so two of them never chain onto the same previous row. */
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Pick<StoreDialect, 'serialize'>,
  ) {}

  append(kind: string, actor: string, runId: number | null, data: Record<string, unknown>, now: number): Promise<void> {
    const done = this.tail.then(() => this.appendNow(kind, actor, runId, JSON.stringify(data), now));
    // A failed append must not block the ones queued after it; its caller still sees the rejection.
    this.tail = done.catch(() => undefined);
    return done;
  }

  async list(limit = 100, runId?: number): Promise<StoredEvent[]> {
    let q = this.db.selectFrom('events').selectAll().orderBy('id', 'desc').limit(limit);
    if (runId !== undefined) q = q.where('run_id', '=', runId);
    const rows = await q.execute();
    return rows.map((r) => ({ id: Number(r.id), at: Number(r.at), kind: r.kind, actor: r.actor, runId: r.run_id, data: JSON.parse(r.data_json) as Record<string, unknown> }));
  }

  /** The newest `limit` events of one kind, newest first. */
  async ofKind(kind: string, limit = DEFAULT_SINCE_LIMIT): Promise<AuditEvent[]> {
    const rows = await this.db.selectFrom('events').selectAll().where('kind', '=', kind).orderBy('id', 'desc').limit(limit).execute();
    return rows.map(toEvent);
  }

  /** Events at or after `at` (epoch ms), oldest first; with `afterId`, only those past that id (the next page). */
  async since(at: number, limit = DEFAULT_SINCE_LIMIT, afterId?: number): Promise<AuditEvent[]> {
    let q = this.db.selectFrom('events').selectAll().where('at', '>=', at);
    if (afterId !== undefined) q = q.where('id', '>', afterId);
    const rows = await q.orderBy('id', 'asc').limit(limit).execute();
    return rows.map(toEvent);
  }

  /** The newest `limit` events, oldest first; with `beforeId`, the newest of those older than that id (the previous page). */
  async recent(limit = DEFAULT_SINCE_LIMIT, beforeId?: number): Promise<AuditEvent[]> {
    let q = this.db.selectFrom('events').selectAll();
    if (beforeId !== undefined) q = q.where('id', '<', beforeId);
    const rows = await q.orderBy('id', 'desc').limit(limit).execute();
    return rows.reverse().map(toEvent);
  }

  /** Walks the whole chain in id order; `brokenAt` is the id of the first row that does not hold. */
  async verify(): Promise<ChainVerdict> {
    const rows = await this.db.selectFrom('events').selectAll().orderBy('id', 'asc').execute();
    return verifyChain(rows.map(toChainRow));
  }

  /**
   * The hash covers the id, so the id must be known first. The row is inserted first and hashed in
   * the same transaction, rather than computing max(id)+1: the database keeps assigning ids
   * (SQLite AUTOINCREMENT never reuses one, so deleting the newest rows shows as a gap at the next
   * append), and the insert takes SQLite's write lock before the previous row is read, so even
   * another process appending to the same file cannot chain onto the same row. On Postgres an
   * advisory lock taken before the insert does the same for every server on the database (and keeps
   * ids in commit order). Within this process the queue in `append` saves the round trips of waiting.
   */
  private async appendNow(kind: string, actor: string, runId: number | null, dataJson: string, at: number): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await this.dialect.serialize(trx, AUDIT_CHAIN_LOCK);
      const inserted = await trx.insertInto('events').values({ at, kind, actor, run_id: runId, data_json: dataJson, prev_hash: null, hash: null }).returning('id').executeTakeFirstOrThrow();
      const id = Number(inserted.id);
      const previous = await trx.selectFrom('events').select('hash').where('id', '<', id).orderBy('id', 'desc').limit(1).executeTakeFirst();
      const prevHash = previous === undefined ? GENESIS_HASH : (previous.hash ?? '');
      const hash = rowHash({ id, at, kind, actor, runId, dataJson, prevHash });
      await trx.updateTable('events').set({ prev_hash: prevHash, hash }).where('id', '=', id).execute();
    });
  }
}
