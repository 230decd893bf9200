import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fastParse } from '../../src/config/fast-yaml.js';
import { parseConfigText, parseConfigTextIn } from '../../src/config/loader.js';
import type { PathProbe } from '../../src/config/loader.js';
import { readYaml } from '../../src/config/yaml-source.js';
import { STRUCTURE_CASES, SYNTAX_CASES } from '../fixtures/config/broken.js';
import { SEMANTIC_CASES, SERVICES } from '../fixtures/config/semantic.js';
import { FULL, MINIMAL } from '../fixtures/config/valid.js';

/**
 * The fast path (js-yaml, no YAML tree) and the full path (the `yaml` package) must give the same
 * config, errors and warnings for every text: the fast one only ever skips work, never changes a result.
 */

const VOLTERYDE = readFileSync(new URL('../../examples/volteryde/gantry.yaml', import.meta.url), 'utf8');

/** YAML 1.2 core scalars where YAML 1.1 readers (and js-yaml's default schema) differ, plus scalar styles. */
const TRICKY_SCALARS = [
  'yes', 'no', 'on', 'off', 'y', 'n', 'True', 'FALSE', 'tRue', '0o14', '014', '0x1F', '-0x1F', '0b11', '1_000', '+12', '-0',
  '1e3', '1E-3', '.5', '+.5', '1.', '1.10', '.inf', '-.Inf', '+.INF', '.nan', '.NaN', '~', 'null', 'Null', 'NULL', '',
  '2001-12-14', '2001-12-14t21:59:43.10-05:00', '12:30:00', '"yes"', "'0o14'", '"\\x41\\u263A\\t"', "'it''s'", '!!str 5', '!!int "5"',
  '! 5', '!!binary aGk=', '=', ':x', '- a',
];
const BLOCKS = ['|\n    a\n    b\n', '>-\n    a\n    b\n\n    c\n', '|+\n    a\n\n', '>2\n     a\n', '"a\n    b"', 'a\n    b'];

/** A valid config whose API service has `value` as its only environment variable (a string is required there). */
const withEnv = (value: string): string => `${MINIMAL}    env:\n      VALUE: ${value}\n`;

/** Documents on their own, for the parsers alone: `a: <scalar>`, as keys, and merge keys. */
const DOCUMENTS = [
  ...TRICKY_SCALARS.flatMap((s) => [`a: ${s}\n`, `- ${s}\n`, `[${s}]\n`]),
  ...TRICKY_SCALARS.filter((s) => s !== '' && !s.startsWith('-')).map((s) => `${s}: key\n`),
  ...BLOCKS.map((b) => `a: ${b}`),
  '<<: {a: 1}\nb: 2\n', 'b: 2\n<<: [{b: 1, a: 1}, {c: 3}]\n', 'base: &b {a: 1}\nx:\n  <<: *b\n  c: 2\n', 'x: *nowhere\n',
  '? [a, b]\n: 1\n', '[a]: 1\n', '{a: 1}: 2\n', '__proto__: 1\n', 'a: [\n  1\n]\n', '%YAML 1.1\n---\na: yes\n', '', '# only a comment\n',
  'a:\n', 'a: 1\na: 2\n', 'a: b: c\n', '---\na: 1\n---\nb: 2\n', 'a:\n\tb: 1\n', 'a: 1\r\nb: 2\r\n', '\uFEFFa: 1\n', 'a: [b, c]: d\n',
];

const CONFIGS: [string, string][] = [
  ['minimal', MINIMAL], ['full', FULL], ['semantic services', SERVICES], ['examples/volteryde', VOLTERYDE],
  ...[...SYNTAX_CASES, ...STRUCTURE_CASES, ...SEMANTIC_CASES].map((c): [string, string] => [c.name, c.text]),
  ...[...TRICKY_SCALARS, ...BLOCKS].map((s): [string, string] => [`env value ${JSON.stringify(s)}`, withEnv(s)]),
  ['merged env', `${MINIMAL}    env:\n      <<: {A: x}\n      B: y\n`],
  ['anchored env', `${MINIMAL}    env: &e {A: x}\n    gates:\n      - { name: t, run: x, env: *e }\n`],
];

/** Equal values with their keys in the same order (toStrictEqual alone ignores order). */
function expectSame(actual: unknown, expected: unknown): void {
  expect(actual).toStrictEqual(expected);
  expect(JSON.stringify(actual)).toBe(JSON.stringify(expected));
}

describe('the fast YAML path', () => {
  it.each(DOCUMENTS.map((d) => [JSON.stringify(d), d] as const))('reads %s as the yaml package does, or leaves it to it', (_name, text) => {
    const fast = fastParse(text);
    const full = readYaml(text, 'gantry.yaml');
    if (!fast) return;
    expect(full.errors, 'the fast path accepted a text the full reader reports on').toEqual([]);
    expect(full.warnings).toEqual([]);
    expectSame(fast.data, full.data);
  });

  it.each(CONFIGS)('loads %s to the same config, errors and warnings on both paths', (_name, text) => {
    expectSame(parseConfigText(text, 'gantry.yaml'), parseConfigText(text, 'gantry.yaml', 'full'));
  });

  it('gives the same result on both paths for any YAML-ish text, alone or spliced into a valid config', () => {
    const unit = fc.constantFrom(...'abz019 :-_?[]{},&*!|>\'"#%@<~.\n\t\\'.split(''), 'yes', 'null', '0o7', '0x1', '1e3', '.inf', '<<');
    const fragment = fc.string({ unit, maxLength: 60 });
    const lines = FULL.split('\n');
    const spliced = fc.tuple(fc.nat({ max: lines.length }), fc.nat({ max: 8 }), fragment).map(([at, indent, text]) =>
      [...lines.slice(0, at), `${' '.repeat(indent)}${text}`, ...lines.slice(at)].join('\n'));
    fc.assert(fc.property(fc.oneof(fragment, spliced), (text) => {
      expectSame(parseConfigText(text, 'gantry.yaml'), parseConfigText(text, 'gantry.yaml', 'full'));
    }), { numRuns: 400, seed: 19 });
  });

  it('takes the fast path for valid configs and hands aliases, merges, odd keys and directives to the full reader', () => {
    for (const text of [MINIMAL, FULL, VOLTERYDE, withEnv('yes'), withEnv('"0o14"')]) expect(fastParse(text)).toBeDefined();
    for (const text of ['a: &x 1\nb: *x\n', '<<: {a: 1}\n', '? [a]\n: 1\n', '{a: 1}: 2\n', '__proto__: 1\n', '~: 1\n', '%YAML 1.2\n---\na: 1\n', 'a: !!str 1\n']) {
      expect(fastParse(text), text).toBeUndefined();
    }
    expect(fastParse(withEnv('0o14'))).toBeDefined();
    expect(parseConfigText(withEnv('0o14'), 'gantry.yaml').ok).toBe(false);
  });

  it('positions a repository finding of a config that took the fast path as the full path does', async () => {
    const probe: PathProbe = { where: 'the working tree', kindOf: (path) => Promise.resolve(path.includes('api') ? 'absent' : 'folder') };
    const fast = await parseConfigTextIn(FULL, 'gantry.yaml', () => probe);
    expect(fast.ok).toBe(false);
    expectSame(fast, await parseConfigTextIn(FULL, 'gantry.yaml', () => probe, 'full'));
  });
});
