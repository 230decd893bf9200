import { GantryError } from '../../errors/index.js';

/**
 * The `nextCursor` of a list route: keyset paging on id, never an offset, so that rows added while
 * someone pages do not shift what comes next. The cursor names the list it belongs to and the side
 * of the id the next page lies on (`<` older, `>` newer); it is opaque to clients (base64url), who
 * pass it back unchanged. A cursor of another list, or one edited by hand, is refused.
 */
export interface ListCursor {
  readonly list: string;
  readonly side: '<' | '>';
  readonly id: number;
}

const SHAPE = /^([a-z-]+)([<>])([1-9][0-9]{0,15})$/;

export function encodeCursor(cursor: ListCursor): string {
  return Buffer.from(`${cursor.list}${cursor.side}${cursor.id}`, 'utf8').toString('base64url');
}

/** The cursor of `list`, or a BAD_REQUEST naming `?cursor=` with what to do. */
export function decodeCursor(list: string, text: string, sides: readonly ListCursor['side'][] = ['<', '>']): ListCursor {
  const match = SHAPE.exec(Buffer.from(text, 'base64url').toString('utf8'));
  const id = match ? Number(match[3]) : NaN;
  const side = match?.[2] === '>' ? '>' : '<';
  if (!match || match[1] !== list || !sides.includes(side) || !Number.isSafeInteger(id)) {
    throw new GantryError('BAD_REQUEST', `query field "cursor": not a cursor of ${list}`, {
      where: 'query.cursor',
      hint: 'Pass the nextCursor of the previous page unchanged (with the same filters), or leave cursor out to start from the first page.',
    });
  }
  return { list, side, id };
}

/**
 * One page out of `limit + 1` rows read in paging order: the extra row only says that another page
 * follows, whose cursor starts after the last row shown.
 */
export function page<T extends { readonly id: number }>(rows: readonly T[], limit: number, list: string, side: '<' | '>'): { rows: T[]; nextCursor: string | null } {
  const shown = rows.slice(0, limit);
  const last = shown[shown.length - 1];
  return { rows: shown, nextCursor: rows.length > limit && last ? encodeCursor({ list, side, id: last.id }) : null };
}
