import { describe, expect, it } from 'vitest';
import { previousRevision } from '../../src/engine/rollback-plan.js';

const d = (revision: number, state = 'succeeded', digest = 'sha256:aa') => ({ revision, state, digest });

describe('the revision gantry rollback goes back to', () => {
  it('is the newest successful revision before the live one, even when it runs the same build', () => {
    expect(previousRevision([d(2), d(1)], d(2))).toEqual(d(1));
  });

  it('skips failed and rolled-back revisions', () => {
    expect(previousRevision([d(4), d(3, 'rolled-back'), d(2, 'failed'), d(1)], d(4))?.revision).toBe(1);
  });

  it('never picks the live revision or one after it', () => {
    expect(previousRevision([d(3), d(2)], d(2))).toBeUndefined();
  });

  it('reads history in any order', () => {
    expect(previousRevision([d(1), d(3), d(2)], d(3))?.revision).toBe(2);
  });

  it('is undefined when nothing succeeded before the live revision', () => {
    expect(previousRevision([d(1)], d(1))).toBeUndefined();
    expect(previousRevision([], undefined)).toBeUndefined();
  });
});
