import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { parseConfigText } from '../../src/config/loader.js';
import type { LoadResult } from '../../src/config/loader.js';
import { FULL, MINIMAL } from '../fixtures/config/valid.js';

/** What every answer of the loader must satisfy, whatever it was given. */
function expectWellFormed(result: LoadResult, text: string): void {
  const lineCount = text.split('\n').length;
  const issues = result.ok ? result.warnings : [...result.errors, ...result.warnings];
  if (!result.ok) expect(result.errors.length).toBeGreaterThanOrEqual(1);
  for (const issue of issues) {
    expect(issue.code).not.toBe('INTERNAL');
    expect(issue.line).toBeGreaterThanOrEqual(1);
    expect(issue.line).toBeLessThanOrEqual(lineCount);
    expect(issue.col).toBeGreaterThanOrEqual(1);
    expect(typeof issue.message).toBe('string');
    expect(typeof issue.snippet).toBe('string');
  }
}

function check(text: string): void {
  expectWellFormed(parseConfigText(text, 'fuzz.yaml'), text);
}

const YAMLISH = [...'abcz019 :-_?[]{},&*!|>\'"#%@`\n\t\\.~'];
const yamlish = fc.string({ unit: fc.constantFrom(...YAMLISH), maxLength: 200 });

/** Every path to a value in a plain value, so a mutation can pick any of them. */
function pathsOf(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(value)) return [prefix, ...value.flatMap((v, i) => pathsOf(v, [...prefix, i]))];
  if (typeof value === 'object' && value !== null) return [prefix, ...Object.entries(value).flatMap(([k, v]) => pathsOf(v, [...prefix, k]))];
  return [prefix];
}

type Mutation = { kind: 'set'; value: unknown } | { kind: 'delete' } | { kind: 'rename'; key: string };

/** Applies a mutation at `path` of a deep copy of `base`. */
function mutate(base: unknown, path: (string | number)[], mutation: Mutation): unknown {
  const copy: unknown = structuredClone(base);
  if (path.length === 0) return mutation.kind === 'set' ? mutation.value : copy;
  let parent = copy as Record<string | number, unknown>;
  for (const segment of path.slice(0, -1)) parent = parent[segment] as Record<string | number, unknown>;
  const last = path[path.length - 1] as string | number;
  if (mutation.kind === 'set') parent[last] = mutation.value;
  else if (mutation.kind === 'delete') delete parent[last];
  else if (!Array.isArray(parent)) {
    parent[mutation.key] = parent[last];
    delete parent[last];
  }
  return copy;
}

const fullValue: unknown = parse(FULL);
const fullPaths = pathsOf(fullValue);
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }).map((value) => ({ kind: 'set' as const, value })),
  fc.constant({ kind: 'delete' as const }),
  fc.string({ maxLength: 12 }).map((key) => ({ kind: 'rename' as const, key })),
);

describe('the config loader under fuzzing', () => {
  it('never throws on arbitrary text', () => {
    fc.assert(fc.property(fc.string({ maxLength: 300 }), check), { numRuns: 300 });
  });

  it('never throws on arbitrary Unicode and binary-ish text', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 300 }), check), { numRuns: 200 });
  });

  it('never throws on text made of YAML punctuation', () => {
    fc.assert(fc.property(yamlish, check), { numRuns: 500 });
  });

  it('never throws on any JSON value written as YAML or as JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), fc.boolean(), (value, asJson) => check(asJson ? JSON.stringify(value) : stringify(value))),
      { numRuns: 300 },
    );
  });

  it('never throws on arbitrary values, including odd keys, written as YAML', () => {
    const value = fc.anything({ maxDepth: 3, withNullPrototype: true, withObjectString: true, key: fc.string({ maxLength: 8 }) });
    fc.assert(
      fc.property(value, (v) => {
        let text: unknown;
        try {
          text = stringify(v);
        } catch {
          return; // yaml cannot write every JavaScript value; that is not the loader's problem
        }
        if (typeof text === 'string') check(text); // stringify(undefined) writes nothing at all
      }),
      { numRuns: 300 },
    );
  });

  it('never throws on a valid config whose environments are arbitrary values with tricky keys', () => {
    const keys = fc.constantFrom('__proto__', 'constructor', 'toString', 'services', 'api', 'path', 'kind', 'run', 'port', 'branch', 'requires', 'dev');
    const value = fc.anything({ maxDepth: 4, key: keys });
    fc.assert(
      fc.property(value, (v) => {
        let text: unknown;
        try {
          text = stringify({ ...(fullValue as object), environments: v });
        } catch {
          return;
        }
        if (typeof text === 'string') check(text);
      }),
      { numRuns: 300 },
    );
  });

  it('never throws on a valid config with one value replaced, deleted or renamed', () => {
    fc.assert(
      fc.property(fc.constantFrom(...fullPaths), mutation, (path, m) => check(stringify(mutate(fullValue, path, m)))),
      { numRuns: 500 },
    );
  });

  it('never throws on a valid config with characters cut or inserted', () => {
    const edit = fc.tuple(fc.nat({ max: FULL.length }), fc.nat({ max: 20 }), yamlish.map((s) => s.slice(0, 10)));
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 4 }), (edits) => {
        let text = FULL;
        for (const [at, cut, insert] of edits) text = text.slice(0, at) + insert + text.slice(at + cut);
        check(text);
      }),
      { numRuns: 500 },
    );
  });

  it('never throws on a valid config with lines shuffled or repeated', () => {
    const lines = MINIMAL.split('\n');
    fc.assert(
      fc.property(fc.array(fc.nat({ max: lines.length - 1 }), { maxLength: 30 }), (picks) => check(picks.map((i) => lines[i]).join('\n'))),
      { numRuns: 300 },
    );
  });

  it('keeps answering quickly when aliases would expand exponentially', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x]', ...Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(9).fill(`*${String.fromCharCode(97 + i)}`).join(', ')}]`)].join('\n');
    const result = parseConfigText(bomb, 'bomb.yaml');
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors[0]?.code).toBe('CONFIG_YAML_SYNTAX');
  });
});
