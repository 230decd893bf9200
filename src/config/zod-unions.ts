import type { z } from 'zod';
import { listWords, typeWord } from './describe.js';

type Issue = z.core.$ZodIssue;
type UnionIssue = Extract<Issue, { code: 'invalid_union' }>;

/**
 * zod reports a failed union as one issue per option. Printing all of them would bury the one the
 * user meant, so this picks it: drop options of the wrong shape (a string for a mapping option,
 * `kind: rolling` for the blue-green option), then take the option with the fewest complaints.
 */
export type UnionOutcome =
  | { kind: 'option'; issues: Issue[] }
  | { kind: 'discriminator'; path: PropertyKey[]; values: unknown[] }
  | { kind: 'shape'; expected: string };

function sameShape(a: unknown, b: unknown): boolean {
  return typeof a === typeof b && (a === null) === (b === null) && Array.isArray(a) === Array.isArray(b);
}

/** The option rejects the value as a whole: wrong type, or an enum/literal of another type. */
function wrongShape(issue: Issue, value: unknown): boolean {
  if (issue.path.length !== 0) return false;
  if (issue.code === 'invalid_type') return true;
  return issue.code === 'invalid_value' && !issue.values.some((v) => sameShape(v, value));
}

/** A one-value literal on a direct key, such as `kind: rolling` for the blue-green option. */
function discriminatorMiss(issue: Issue): issue is Extract<Issue, { code: 'invalid_value' }> {
  return issue.code === 'invalid_value' && issue.path.length === 1 && issue.values.length === 1;
}

function expectedShape(options: readonly Issue[][]): string {
  const words = new Set<string>();
  for (const issue of options.flat()) {
    if (issue.path.length !== 0) continue;
    if (issue.code === 'invalid_type') words.add(typeWord(issue.expected));
    if (issue.code === 'invalid_value') words.add(listWords(issue.values));
  }
  return [...words].join(' or ') || 'another kind of value';
}

const withBase = (issue: Issue, base: PropertyKey[]): Issue => ({ ...issue, path: [...base, ...issue.path] }) as Issue;

export function resolveUnion(issue: UnionIssue, value: unknown): UnionOutcome {
  const candidates = issue.errors.filter((option) => !option.some((i) => wrongShape(i, value)));
  if (candidates.length === 0) return { kind: 'shape', expected: expectedShape(issue.errors) };
  const misses = candidates.map((option) => option.find(discriminatorMiss));
  const fitting = candidates.filter((_, index) => misses[index] === undefined);
  if (fitting.length === 0) {
    // Every option of the right shape wants another `kind`: the discriminator itself is wrong.
    const first = misses[0];
    const values = misses.flatMap((miss) => (miss && String(miss.path[0]) === String(first?.path[0]) ? miss.values : []));
    return { kind: 'discriminator', path: [...issue.path, ...(first?.path ?? [])], values };
  }
  const best = fitting.reduce((a, b) => (b.length < a.length ? b : a));
  return { kind: 'option', issues: best.map((i) => withBase(i, issue.path)) };
}
