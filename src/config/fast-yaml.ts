import jsyaml from 'js-yaml';
import type { State } from 'js-yaml';

/**
 * A quick first read of gantry.yaml with js-yaml, which parses a large file several times faster
 * than the `yaml` package builds its tree. It only vouches for plain text: whenever the text uses
 * anything where the two could disagree, or that the full reader reports on, it answers undefined
 * and the caller reads the file the full way (yaml-source.ts), which positions every message.
 */

// The scalars of the YAML 1.2 core schema exactly as the `yaml` package resolves them
// (yaml/dist/schema/core): no YAML 1.1 booleans (yes/on), no timestamps, no `0b`, `_` or signed hex.
const scalar = (name: string, test: RegExp, construct: (text: string) => unknown): jsyaml.Type =>
  new jsyaml.Type(`tag:gantry.fast:${name}`, { kind: 'scalar', resolve: (data: unknown) => typeof data === 'string' && test.test(data), construct });

const CORE_SCALARS = [
  new jsyaml.Type('tag:gantry.fast:null', { kind: 'scalar', resolve: (data: unknown) => data === null || (typeof data === 'string' && /^(?:~|[Nn]ull|NULL)?$/.test(data)), construct: () => null }),
  scalar('bool', /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/, (text) => text[0] === 't' || text[0] === 'T'),
  scalar('int-oct', /^0o[0-7]+$/, (text) => parseInt(text.substring(2), 8)),
  scalar('int', /^[-+]?[0-9]+$/, (text) => parseInt(text, 10)),
  scalar('int-hex', /^0x[0-9a-fA-F]+$/, (text) => parseInt(text.substring(2), 16)),
  scalar('float-nan', /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/, (text) =>
    text.slice(-3).toLowerCase() === 'nan' ? NaN : text[0] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY),
  scalar('float-exp', /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/, (text) => parseFloat(text)),
  scalar('float', /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/, (text) => parseFloat(text)),
];

/**
 * Only these tags: an explicit tag (`!!str`, `!!binary`, `!custom`) is unknown to js-yaml and
 * throws, so the full reader handles it. The merge type keeps `<<` from reading as a plain key.
 */
const MERGE = new jsyaml.Type('tag:yaml.org,2002:merge', { kind: 'scalar', resolve: (data: unknown) => data === '<<' });
const SCHEMA = new jsyaml.Schema({ implicit: [...CORE_SCALARS, MERGE] });

/** js-yaml's parser state carries the anchor of the node being closed; its typings leave it out. */
interface ParserState extends State {
  anchor: string | null;
  anchorMap: Record<string, unknown>;
}

/**
 * Text the full reader would treat differently or warn about: a directive (`%YAML 1.1` changes the
 * schema), and a flow collection closed at the start of a line (yaml warns on its indentation).
 */
const NEEDS_FULL_READ = /^%|^[ \t]*[\]}]/m;

/**
 * Every collection js-yaml built must be in the result: one that is not was a key (`? [a]`,
 * `{a: 1}: x`, which js-yaml turns into text) or the source of a merge. Keys `__proto__` (refused
 * by the full reader) and `null` (a null key, which yaml reads as "") are left to it too.
 */
function plainTree(value: unknown, built: Set<object>): boolean {
  if (typeof value !== 'object' || value === null) return true;
  built.delete(value);
  if (Array.isArray(value)) return value.every((item) => plainTree(item, built));
  for (const key of Object.keys(value)) {
    if (key === '__proto__' || key === 'null') return false;
    if (!plainTree((value as Record<string, unknown>)[key], built)) return false;
  }
  return true;
}

/** The value of `text`, or undefined when only the full reader can say what it is. Never throws. */
export function fastParse(text: string): { data: unknown } | undefined {
  if (NEEDS_FULL_READ.test(text)) return undefined;
  const built = new Set<object>();
  let declined = false;
  let last: ParserState | undefined;
  const listener = (event: 'open' | 'close', state: State): void => {
    if (event !== 'close') return;
    last = state as ParserState;
    if (last.anchor !== null && last.anchor !== undefined) declined = true;
    const result: unknown = state.result;
    if (typeof result === 'object' && result !== null) built.add(result);
  };
  let data: unknown;
  try {
    data = jsyaml.load(text, { schema: SCHEMA, listener, onWarning: () => { declined = true; } });
  } catch {
    return undefined;
  }
  // Any alias needs an anchor: without anchors there is no alias, so nothing can expand.
  if (declined || (last && Object.keys(last.anchorMap ?? {}).length > 0)) return undefined;
  if (!plainTree(data, built) || built.size > 0) return undefined;
  return { data: data === undefined ? null : data };
}
