import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalRow, chainRows, GENESIS_HASH, rowHash, verifyChain, type ChainFields, type ChainRow } from '../../src/domain/audit-chain.js';

function fields(n: number): ChainFields[] {
  return Array.from({ length: n }, (_, i) => ({
    id: i + 1,
    at: 1_700_000_000_000 + i * 1000,
    kind: i % 2 === 0 ? 'token.created' : 'deployment.succeeded',
    actor: i % 3 === 0 ? 'admin' : 'gantry',
    runId: i % 2 === 0 ? null : i,
    dataJson: JSON.stringify({ n: i, environment: 'dev' }),
    prevHash: null,
  }));
}

const chain = (n: number): ChainRow[] => chainRows(fields(n));

describe('the audit hash chain', () => {
  it('accepts an empty log and an untouched chain', () => {
    expect(verifyChain([])).toEqual({ ok: true, rows: 0 });
    expect(verifyChain(chain(5))).toEqual({ ok: true, rows: 5 });
  });

  it('starts the first row from the genesis hash and links each row to the one before', () => {
    const rows = chain(3);
    expect(rows[0]?.prevHash).toBe(GENESIS_HASH);
    expect(rows[1]?.prevHash).toBe(rows[0]?.hash);
    expect(rows[2]?.prevHash).toBe(rows[1]?.hash);
    expect(rows[0]?.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('serialises fields so that none can bleed into the next', () => {
    const base = { id: 1, at: 1, kind: 'a', actor: 'b', runId: null, dataJson: '{}', prevHash: GENESIS_HASH };
    expect(canonicalRow({ ...base, kind: 'a","b', actor: '' })).not.toBe(canonicalRow({ ...base, kind: 'a', actor: 'b' }));
    expect(rowHash({ ...base, runId: null })).not.toBe(rowHash({ ...base, runId: 0 }));
  });

  it('names an edited row and says it was edited', () => {
    const rows = chain(5);
    rows[2] = { ...rows[2]!, dataJson: rows[2]!.dataJson.replace('dev', 'dew') };
    expect(verifyChain(rows)).toEqual({ ok: false, rows: 5, brokenAt: 3, reason: expect.stringMatching(/edited/) });
  });

  it('names the row after a deleted one and says a row was deleted', () => {
    const rows = chain(5);
    rows.splice(2, 1);
    expect(verifyChain(rows)).toMatchObject({ ok: false, brokenAt: 4, reason: expect.stringMatching(/ids jump from 2 to 4: a row was deleted/) });
  });

  it('finds a deleted first row by its successor not starting from the genesis hash', () => {
    const rows = chain(4).slice(1);
    expect(verifyChain(rows)).toMatchObject({ ok: false, brokenAt: 2, reason: expect.stringMatching(/prev_hash/) });
  });

  it('finds two rows swapped, and a row inserted with a valid hash of its own', () => {
    const swapped = chain(4);
    [swapped[1], swapped[2]] = [swapped[2]!, swapped[1]!];
    expect(verifyChain(swapped)).toMatchObject({ ok: false, brokenAt: 3 });

    // A forger renumbers and rehashes the inserted row, but cannot fix the rows after it without rewriting them.
    const rows = chain(4);
    const forged = chainRows([{ ...fields(1)[0]!, id: 3, kind: 'token.created', actor: 'mallory' }], rows[1]!.hash!)[0]!;
    const inserted = [rows[0]!, rows[1]!, forged, ...rows.slice(2).map((r) => ({ ...r, id: r.id + 1 }))];
    expect(verifyChain(inserted)).toMatchObject({ ok: false, brokenAt: 4 });
  });

  it('refuses a row without a hash', () => {
    const rows = chain(2);
    rows[1] = { ...rows[1]!, hash: null };
    expect(verifyChain(rows)).toMatchObject({ ok: false, brokenAt: 2, reason: expect.stringMatching(/no hash/) });
  });

  const EDITABLE = ['id', 'at', 'kind', 'actor', 'runId', 'dataJson', 'prevHash', 'hash'] as const;

  /** A different value of the same field: a one-character change for text, +/-1 for numbers. */
  function edited(row: ChainRow, field: (typeof EDITABLE)[number], salt: number): ChainRow {
    const value = row[field];
    if (typeof value === 'number') return { ...row, [field]: value + (salt % 2 === 0 ? 1 : -1) };
    if (value === null) return { ...row, [field]: salt };
    const at = salt % value.length;
    const ch = value[at] === 'a' ? 'b' : 'a';
    return { ...row, [field]: value.slice(0, at) + ch + value.slice(at + 1) };
  }

  it('detects any single-field edit of any row at or before that row', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.nat(), fc.constantFrom(...EDITABLE), fc.nat(), (n, pick, field, salt) => {
        const rows = chain(n);
        const i = pick % n;
        rows[i] = edited(rows[i]!, field, salt);
        const verdict = verifyChain(rows);
        expect(verdict.ok).toBe(false);
        if (verdict.ok) return;
        expect(rows.findIndex((r) => r.id === verdict.brokenAt)).toBeLessThanOrEqual(i);
      }),
    );
  });

  it('detects the deletion of any row but the newest at the position it left', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 12 }), fc.nat(), (n, pick) => {
        const rows = chain(n);
        const i = pick % (n - 1);
        rows.splice(i, 1);
        const verdict = verifyChain(rows);
        expect(verdict.ok).toBe(false);
        if (verdict.ok) return;
        expect(rows.findIndex((r) => r.id === verdict.brokenAt)).toBeLessThanOrEqual(i);
      }),
    );
  });

  it('cannot see the newest row deleted from the chain alone (the store sees it as an id gap at the next append)', () => {
    expect(verifyChain(chain(4).slice(0, 3))).toEqual({ ok: true, rows: 3 });
  });
});
