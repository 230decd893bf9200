import { describe, expect, it } from 'vitest';
import { newLines } from '../../src/server/log-overlap.js';

describe('newLines: what a follow sends from a target that shows only its last lines', () => {
  it('sends everything on the first read', () => {
    expect(newLines([], ['a', 'b'])).toEqual({ fresh: ['a', 'b'], gap: false });
  });

  it('sends only the lines after those seen, when the window slid or grew', () => {
    expect(newLines(['a', 'b', 'c'], ['b', 'c', 'd', 'e'])).toEqual({ fresh: ['d', 'e'], gap: false });
    expect(newLines(['a', 'b'], ['a', 'b', 'c'])).toEqual({ fresh: ['c'], gap: false });
    expect(newLines(['a', 'b', 'c'], ['a', 'b', 'c'])).toEqual({ fresh: [], gap: false });
    // A first read of the last 2 lines, then a window of 5 that starts before them.
    expect(newLines(['c', 'd'], ['a', 'b', 'c', 'd', 'e'])).toEqual({ fresh: ['e'], gap: false });
  });

  it('says there is a gap when nothing seen is in the window', () => {
    expect(newLines(['a', 'b'], ['x', 'y'])).toEqual({ fresh: ['x', 'y'], gap: true });
    expect(newLines(['a'], [])).toEqual({ fresh: [], gap: false });
  });

  it('tells a repeated line apart by the lines before it, and takes it for an old one only when every line seen repeats (the documented limit)', () => {
    expect(newLines(['a', 'tick'], ['a', 'tick', 'tick'])).toEqual({ fresh: ['tick'], gap: false });
    expect(newLines(['a', 'tick'], ['a', 'tick', 'tick', 'b'])).toEqual({ fresh: ['tick', 'b'], gap: false });
    expect(newLines(['tick', 'tick'], ['tick', 'tick', 'tick'])).toEqual({ fresh: [], gap: false });
  });
});
