import { createHash } from 'node:crypto';

/**
 * The audit log's hash chain (DESIGN.md invariant 7). Each events row carries the hash of the row
 * before it (`prev_hash`) and its own `hash` over its fields and that `prev_hash`, so editing,
 * deleting, inserting or re-ordering a row breaks the chain at that row or the next one.
 * Pure: the store feeds rows in id order; nothing here reads the database.
 */

/** The `prev_hash` of the first row: there is no row before it. */
export const GENESIS_HASH = '0'.repeat(64);

/** Names the serialisation, so a future format can be told apart from this one. */
const FORMAT = 'gantry-audit-v1';

/** An events row as stored: `dataJson` is the exact stored text, never re-serialised data. */
export interface ChainRow {
  readonly id: number;
  readonly at: number;
  readonly kind: string;
  readonly actor: string;
  readonly runId: number | null;
  readonly dataJson: string;
  readonly prevHash: string | null;
  readonly hash: string | null;
}

export type ChainFields = Omit<ChainRow, 'hash'>;

export type ChainVerdict = { ok: true; rows: number } | { ok: false; rows: number; brokenAt: number; reason: string };

/**
 * A JSON array in a fixed field order: JSON escaping makes it unambiguous (no field can bleed into
 * the next), and integers and strings serialise the same way in every Node version.
 */
export function canonicalRow(row: ChainFields): string {
  return JSON.stringify([FORMAT, row.id, row.at, row.kind, row.actor, row.runId, row.dataJson, row.prevHash]);
}

/** sha256 of the canonical serialisation, lower-case hex. */
export function rowHash(row: ChainFields): string {
  return createHash('sha256').update(canonicalRow(row), 'utf8').digest('hex');
}

/**
 * Walks rows in the order given (the store gives id order) and names the first broken one:
 * - a gap or step back in ids: a row was deleted (ids are never reused) or rows were re-ordered;
 * - a `prev_hash` that is not the previous row's hash: a row was deleted, inserted or moved;
 * - a `hash` that does not match the row's fields: the row was edited.
 * Deleting the newest rows leaves a valid shorter chain; only the next append shows it (as a gap).
 */
export function verifyChain(rows: readonly ChainRow[]): ChainVerdict {
  let expectedPrev = GENESIS_HASH;
  let prevId: number | undefined;
  for (const row of rows) {
    const broken = (reason: string): ChainVerdict => ({ ok: false, rows: rows.length, brokenAt: row.id, reason });
    if (row.hash === null || row.prevHash === null) return broken('the row has no hash: it was not written by the audit log');
    if (prevId !== undefined && row.id !== prevId + 1) {
      return broken(row.id > prevId + 1 ? `ids jump from ${prevId} to ${row.id}: a row was deleted` : `id ${row.id} follows ${prevId}: rows were re-ordered or inserted`);
    }
    if (row.prevHash !== expectedPrev) return broken('its prev_hash is not the hash of the row before it: a row before it was deleted, inserted or re-ordered');
    if (rowHash(row) !== row.hash) return broken('its contents do not match its hash: the row was edited');
    expectedPrev = row.hash;
    prevId = row.id;
  }
  return { ok: true, rows: rows.length };
}

/** Hashes rows that have none yet, in order, continuing from `prevHash` (for a migration or a fixture). */
export function chainRows(rows: readonly ChainFields[], prevHash = GENESIS_HASH): ChainRow[] {
  let prev = prevHash;
  return rows.map((r) => {
    const fields = { ...r, prevHash: prev };
    const hash = rowHash(fields);
    prev = hash;
    return { ...fields, hash };
  });
}
