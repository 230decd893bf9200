import type { Kysely, Selectable } from 'kysely';
import type { Run } from '../../domain/run.js';
import type { Database, NotificationTable } from '../schema.js';
import { toRun } from './mappers.js';
import type { StoredEvent } from '../../domain/event.js';

export const DeliveryStatus = { Pending: 'pending', Delivered: 'delivered', Failed: 'failed' } as const;
export type DeliveryStatus = (typeof DeliveryStatus)[keyof typeof DeliveryStatus];

export const DeliveryKind = { Notification: 'notification', IncidentOpen: 'incident.open', IncidentResolve: 'incident.resolve' } as const;
export type DeliveryKind = (typeof DeliveryKind)[keyof typeof DeliveryKind];

export interface Delivery {
  readonly id: number;
  readonly eventId: number | null;
  readonly runId: number | null;
  readonly channel: string;
  readonly kind: DeliveryKind;
  readonly event: string;
  readonly status: DeliveryStatus;
  readonly attempts: number;
  readonly lastError: string | null;
  readonly deliveryId: string;
  readonly dedupKey: string | null;
  readonly externalRef: string | null;
  readonly payload: Record<string, unknown>;
  readonly createdAt: number;
  readonly deliveredAt: number | null;
}

export interface NewDelivery {
  readonly eventId: number | null;
  readonly runId: number | null;
  readonly channel: string;
  readonly kind: DeliveryKind;
  readonly event: string;
  readonly deliveryId: string;
  readonly dedupKey: string | null;
  /** Must already be redacted: it is stored as is. */
  readonly payload: Record<string, unknown>;
}

/** A position in a source the dispatcher reads: events by id, runs by (finished_at, id). */
export interface Cursor {
  readonly lastId: number;
  readonly lastAt: number;
}

export const EVENTS_CURSOR = 'events';
export const RUNS_CURSOR = 'runs';

const toDelivery = (r: Selectable<NotificationTable>): Delivery => ({
  id: Number(r.id),
  eventId: r.event_id === null ? null : Number(r.event_id),
  runId: r.run_id === null ? null : Number(r.run_id),
  channel: r.channel,
  kind: r.kind as DeliveryKind,
  event: r.event,
  status: r.status as DeliveryStatus,
  attempts: r.attempts,
  lastError: r.last_error,
  deliveryId: r.delivery_id,
  dedupKey: r.dedup_key,
  externalRef: r.external_ref,
  payload: JSON.parse(r.payload_json) as Record<string, unknown>,
  createdAt: Number(r.created_at),
  deliveredAt: r.delivered_at === null ? null : Number(r.delivered_at),
});

/** The notification outbox and the dispatcher's read positions. */
export class NotificationRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async cursor(name: string): Promise<Cursor> {
    const r = await this.db.selectFrom('notification_cursors').selectAll().where('name', '=', name).executeTakeFirst();
    return { lastId: r ? Number(r.last_id) : 0, lastAt: r ? Number(r.last_at) : 0 };
  }

  /** Events after the cursor, oldest first. */
  async eventsAfter(lastId: number, limit: number): Promise<StoredEvent[]> {
    const rows = await this.db.selectFrom('events').selectAll().where('id', '>', lastId).orderBy('id', 'asc').limit(limit).execute();
    return rows.map((r) => ({ id: Number(r.id), at: Number(r.at), kind: r.kind, actor: r.actor, runId: r.run_id, data: JSON.parse(r.data_json) as Record<string, unknown> }));
  }

  /** Runs that finished after the cursor and no later than `settledBefore`, in (finished_at, id) order. */
  async runsFinishedAfter(cursor: Cursor, settledBefore: number, limit: number): Promise<Run[]> {
    const rows = await this.db
      .selectFrom('runs')
      .selectAll()
      .where('finished_at', 'is not', null)
      .where('finished_at', '<=', settledBefore)
      .where((eb) => eb.or([eb('finished_at', '>', cursor.lastAt), eb.and([eb('finished_at', '=', cursor.lastAt), eb('id', '>', cursor.lastId)])]))
      .orderBy('finished_at', 'asc')
      .orderBy('id', 'asc')
      .limit(limit)
      .execute();
    return rows.map(toRun);
  }

  /**
   * Stores the deliveries planned for one source item and moves the cursor from `from` past it,
   * atomically. The cursor moves only from the position the caller read (compare and set): when
   * another dispatcher on the database moved it first, nothing is stored and this returns false,
   * so two dispatchers never plan the same item twice.
   */
  async enqueue(cursorName: string, from: Cursor, cursor: Cursor, deliveries: readonly NewDelivery[], now: number): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      // The cursor first: on SQLite this write takes the database's write lock; on Postgres a second
      // dispatcher's update waits on the row and then finds it moved.
      const moved = await trx
        .updateTable('notification_cursors')
        .set({ last_id: cursor.lastId, last_at: cursor.lastAt })
        .where('name', '=', cursorName)
        .where('last_id', '=', from.lastId)
        .where('last_at', '=', from.lastAt)
        .executeTakeFirst();
      if (Number(moved.numUpdatedRows) === 0) {
        // No row yet reads as position zero; the first to insert it wins.
        if (from.lastId !== 0 || from.lastAt !== 0) return false;
        const inserted = await trx
          .insertInto('notification_cursors')
          .values({ name: cursorName, last_id: cursor.lastId, last_at: cursor.lastAt })
          .onConflict((oc) => oc.column('name').doNothing())
          .returning('name')
          .executeTakeFirst();
        if (!inserted) return false;
      }
      for (const d of deliveries) {
        await trx
          .insertInto('notifications')
          .values({
            event_id: d.eventId,
            run_id: d.runId,
            channel: d.channel,
            kind: d.kind,
            event: d.event,
            status: DeliveryStatus.Pending,
            attempts: 0,
            last_error: null,
            delivery_id: d.deliveryId,
            dedup_key: d.dedupKey,
            external_ref: null,
            payload_json: JSON.stringify(d.payload),
            created_at: now,
            delivered_at: null,
          })
          .execute();
      }
      return true;
    });
  }

  /** Pending deliveries, oldest first; with `now`, only those no server has a live claim on. */
  async pending(limit: number, now?: number): Promise<Delivery[]> {
    let q = this.db.selectFrom('notifications').selectAll().where('status', '=', DeliveryStatus.Pending);
    if (now !== undefined) q = q.where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<', now)]));
    const rows = await q.orderBy('id', 'asc').limit(limit).execute();
    return rows.map(toDelivery);
  }

  /**
   * Takes a pending delivery for `owner` until `now + claimMs`: one statement, so of several
   * servers only one wins it. A claim that ran out (its server died mid-delivery) can be taken over;
   * the row comes back as stored, attempts counted so far included.
   */
  async claim(id: number, owner: string, now: number, claimMs: number): Promise<Delivery | undefined> {
    const row = await this.db
      .updateTable('notifications')
      .set({ claimed_by: owner, claimed_until: now + claimMs })
      .where('id', '=', id)
      .where('status', '=', DeliveryStatus.Pending)
      .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<', now), eb('claimed_by', '=', owner)]))
      .returningAll()
      .executeTakeFirst();
    return row && toDelivery(row);
  }

  /** Gives a claim up (a stopping dispatcher), so another server carries on at once. */
  async unclaim(id: number, owner: string): Promise<void> {
    await this.db.updateTable('notifications').set({ claimed_by: null, claimed_until: null }).where('id', '=', id).where('claimed_by', '=', owner).execute();
  }

  async get(id: number): Promise<Delivery | undefined> {
    const r = await this.db.selectFrom('notifications').selectAll().where('id', '=', id).executeTakeFirst();
    return r && toDelivery(r);
  }

  async forRun(runId: number): Promise<Delivery[]> {
    const rows = await this.db.selectFrom('notifications').selectAll().where('run_id', '=', runId).orderBy('id', 'asc').execute();
    return rows.map(toDelivery);
  }

  /** Counts a failed attempt; `lastError` must already be redacted. */
  async recordAttempt(id: number, attempts: number, lastError: string): Promise<void> {
    await this.db.updateTable('notifications').set({ attempts, last_error: lastError }).where('id', '=', id).execute();
  }

  async markDelivered(id: number, attempts: number, now: number, externalRef: string | null): Promise<void> {
    await this.db
      .updateTable('notifications')
      .set({ status: DeliveryStatus.Delivered, attempts, delivered_at: now, claimed_by: null, claimed_until: null, ...(externalRef === null ? {} : { external_ref: externalRef }) })
      .where('id', '=', id)
      .execute();
  }

  async markFailed(id: number, attempts: number, lastError: string): Promise<void> {
    await this.db.updateTable('notifications').set({ status: DeliveryStatus.Failed, attempts, last_error: lastError, claimed_by: null, claimed_until: null }).where('id', '=', id).execute();
  }

  /**
   * Channels with an incident open under `dedupKey`: their last incident row is an open that has not
   * failed. Each comes with the receiver's reference, once the open was delivered.
   */
  async openIncidents(dedupKey: string): Promise<Array<{ channel: string; externalRef: string | null }>> {
    const rows = await this.db
      .selectFrom('notifications')
      .selectAll()
      .where('dedup_key', '=', dedupKey)
      .where('kind', 'in', [DeliveryKind.IncidentOpen, DeliveryKind.IncidentResolve])
      .orderBy('id', 'asc')
      .execute();
    const last = new Map<string, Selectable<NotificationTable>>();
    for (const r of rows) if (r.kind === DeliveryKind.IncidentResolve || r.status !== DeliveryStatus.Failed) last.set(r.channel, r);
    return [...last.values()].filter((r) => r.kind === DeliveryKind.IncidentOpen).map((r) => ({ channel: r.channel, externalRef: r.external_ref }));
  }

  /** The reference of the latest delivered open of `dedupKey` on `channel` before row `beforeId`. */
  async incidentRef(channel: string, dedupKey: string, beforeId: number): Promise<string | null> {
    const r = await this.db
      .selectFrom('notifications')
      .select('external_ref')
      .where('channel', '=', channel)
      .where('dedup_key', '=', dedupKey)
      .where('kind', '=', DeliveryKind.IncidentOpen)
      .where('status', '=', DeliveryStatus.Delivered)
      .where('id', '<', beforeId)
      .orderBy('id', 'desc')
      .executeTakeFirst();
    return r?.external_ref ?? null;
  }
}
