import { describe, expect, it } from 'vitest';
import type { ProtectionConfig } from '../../src/config/types.js';
import { decidePush, isMergeOfGreen, mergedHeads, protectionFor, ZERO_SHA, type CommitSignature, type RefUpdate } from '../../src/domain/push-policy.js';

const sha = (c: string): string => c.repeat(40);
const PROTECTED: ProtectionConfig = { requiredApprovals: 0, requiredChecks: [], upToDate: false, conversationsResolved: false, signedCommits: false, allowDirectPush: false, allowForcePush: false };
const update = (over: Partial<RefUpdate> = {}): RefUpdate => ({ ref: 'refs/heads/main', old: sha('a'), new: sha('b'), forced: false, parents: [sha('a')], ...over });
const signed = (c: string, trusted = true): CommitSignature => ({ sha: sha(c), signed: true, trusted, key: trusted ? 'ABCDEF' : 'DEADBEEF' });
const none = new Set<string>();

describe('push policy', () => {
  it('allows anything on a branch without protection, and any non-branch ref', () => {
    expect(decidePush(undefined, update({ forced: true }), none, [])).toEqual({ allowed: true });
    expect(decidePush(PROTECTED, update({ ref: 'refs/tags/v1', forced: true }), none, [])).toEqual({ allowed: true });
  });

  it('refuses a direct push to a protected branch, naming the branch and the way out', () => {
    const d = decidePush(PROTECTED, update(), none, []);
    expect(d.allowed).toBe(false);
    expect(!d.allowed && d.reason).toMatch(/^direct push to the protected branch main refused: bbbbbbbbbb is not a merge of a branch whose CI passed/);
  });

  it('allows a direct push when allowDirectPush is true', () => {
    expect(decidePush({ ...PROTECTED, allowDirectPush: true }, update(), none, [])).toEqual({ allowed: true });
  });

  it('allows a merge commit whose other parents are green heads, and a fast-forward to a green head', () => {
    expect(decidePush(PROTECTED, update({ parents: [sha('a'), sha('c')] }), new Set([sha('c')]), [])).toEqual({ allowed: true });
    expect(decidePush(PROTECTED, update({ parents: [sha('a')] }), new Set([sha('b')]), [])).toEqual({ allowed: true });
  });

  it('refuses a merge when one of the merged heads is not green', () => {
    expect(isMergeOfGreen(update({ parents: [sha('a'), sha('c'), sha('d')] }), new Set([sha('c')]))).toBe(false);
    expect(decidePush(PROTECTED, update({ parents: [sha('a'), sha('c')] }), new Set([sha('d')]), []).allowed).toBe(false);
  });

  it('refuses a force push unless allowForcePush, even of a green head', () => {
    const d = decidePush({ ...PROTECTED, allowDirectPush: true }, update({ forced: true }), new Set([sha('b')]), []);
    expect(!d.allowed && d.reason).toMatch(/^force push to main refused: bbbbbbbbbb does not contain aaaaaaaaaa \(allowForcePush is false\)/);
    expect(decidePush({ ...PROTECTED, allowDirectPush: true, allowForcePush: true }, update({ forced: true }), none, [])).toEqual({ allowed: true });
  });

  it('refuses deleting a protected branch unless allowForcePush', () => {
    const d = decidePush(PROTECTED, update({ new: ZERO_SHA, parents: [] }), none, []);
    expect(!d.allowed && d.reason).toMatch(/deleting the protected branch main/);
    expect(decidePush({ ...PROTECTED, allowForcePush: true }, update({ new: ZERO_SHA, parents: [] }), none, [])).toEqual({ allowed: true });
  });

  it('with signedCommits, refuses an unsigned commit and one signed by an untrusted key', () => {
    const rules = { ...PROTECTED, allowDirectPush: true, signedCommits: true };
    const unsigned = decidePush(rules, update(), none, [signed('b'), { sha: sha('c'), signed: false, trusted: false, key: null }]);
    expect(!unsigned.allowed && unsigned.reason).toBe('commit cccccccccc is not signed; main requires signed commits (git commit -S)');
    const untrusted = decidePush(rules, update(), none, [signed('b', false)]);
    expect(!untrusted.allowed && untrusted.reason).toMatch(/^commit bbbbbbbbbb is signed by DEADBEEF, which is not among signing.trustedKeys/);
    expect(decidePush(rules, update(), none, [signed('b'), signed('c')])).toEqual({ allowed: true });
  });

  it('ignores signatures when the branch does not require them', () => {
    expect(decidePush({ ...PROTECTED, allowDirectPush: true }, update(), none, [{ sha: sha('b'), signed: false, trusted: false, key: null }])).toEqual({ allowed: true });
  });

  it('with upToDate, refuses a merge of a branch that does not contain the target head', () => {
    const rules = { ...PROTECTED, upToDate: true };
    const merge = update({ parents: [sha('a'), sha('c')] });
    const green = new Set([sha('c')]);
    const behind = decidePush(rules, merge, green, [], { containsOld: new Set() });
    expect(!behind.allowed && behind.reason).toMatch(/^cccccccccc is not up to date with main \(it does not contain aaaaaaaaaa, the head of main\)/);
    expect(decidePush(rules, merge, green, [], { containsOld: new Set([sha('c')]) })).toEqual({ allowed: true });
    const oldHook = decidePush(rules, merge, green, []);
    expect(!oldHook.allowed && oldHook.reason).toMatch(/run `gantry hook install` again/);
    expect(decidePush(rules, update(), new Set([sha('b')]), [])).toEqual({ allowed: true });
  });

  it('with requiredChecks, refuses a merge whose merged head misses a check, naming them', () => {
    const rules = { ...PROTECTED, requiredChecks: ['api/test', 'api/lint'] };
    const merge = update({ parents: [sha('a'), sha('c')] });
    const missing = decidePush(rules, merge, new Set([sha('c')]), [], { missingChecks: new Map([[sha('c'), ['api/lint']]]) });
    expect(!missing.allowed && missing.reason).toMatch(/^main requires checks that have not passed on cccccccccc: api\/lint;/);
    expect(decidePush(rules, merge, new Set([sha('c')]), [], { missingChecks: new Map([[sha('c'), []]]) })).toEqual({ allowed: true });
    expect(mergedHeads(update())).toEqual([sha('b')]);
  });

  it('finds the protection by exact name first, then by the first matching pattern', () => {
    const branches = { 'release/*': { protection: { ...PROTECTED, allowForcePush: true } }, 'release/1': { protection: PROTECTED }, main: { protection: PROTECTED } };
    expect(protectionFor(branches, 'release/1')).toBe(PROTECTED);
    expect(protectionFor(branches, 'release/2')?.allowForcePush).toBe(true);
    expect(protectionFor(branches, 'feature/x')).toBeUndefined();
  });
});
