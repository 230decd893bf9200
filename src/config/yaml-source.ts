import type { Document, LineCounter, YAMLError } from 'yaml';
import type { ErrorCode } from '../errors/codes.js';
import type { ConfigIssue, Finding, IssueSeverity } from './issues.js';
import { locate } from './positions.js';
import type { SourceSpot } from './positions.js';
import { makeSnippet } from './snippet.js';
import { yamlLib } from './yaml-lib.js';

/** The text of one gantry.yaml with its YAML tree: everything needed to turn a path into line:col. */
export interface YamlSource {
  readonly file: string;
  readonly text: string;
  readonly doc: Document;
  readonly lineCounter: LineCounter;
}

export interface YamlRead {
  source: YamlSource;
  /** The plain value, when the tree could be turned into one. */
  data: unknown;
  errors: ConfigIssue[];
  warnings: ConfigIssue[];
  /** Whether the errors leave nothing sensible to validate (anything worse than a duplicate key). */
  fatal: boolean;
}

/** Billion-laughs guard: a config has no reason to expand an alias more than a few times. */
const MAX_ALIAS_COUNT = 100;

/** yaml's own wording where it speaks to programmers rather than to the author of the file. */
const SYNTAX_MESSAGES: Readonly<Record<string, string>> = {
  MULTIPLE_DOCS: 'the file holds more than one YAML document',
};

const SYNTAX_HINTS: Readonly<Record<string, string>> = {
  TAB_AS_INDENT: 'indent with spaces; YAML does not allow tabs for indentation',
  MULTIPLE_DOCS: 'gantry.yaml holds a single document; remove the "---" separator',
  BAD_INDENT: 'check the indentation here, and that every [ or { opened above is closed',
  MISSING_CHAR: 'a bracket or quote opened earlier is not closed',
  BLOCK_AS_IMPLICIT_KEY: 'a key must fit on one line; check for a missing ":" or a stray line above',
};

export function issueAt(source: YamlSource, spot: SourceSpot, fields: Omit<ConfigIssue, 'file' | 'line' | 'col' | 'snippet'>): ConfigIssue {
  return { ...fields, file: source.file, line: spot.line, col: spot.col, snippet: makeSnippet(source.text, spot.line, spot.col, spot.length) };
}

export function positionFinding(source: YamlSource, f: Finding): ConfigIssue {
  const spot = locate(source.doc, source.lineCounter, source.text, f.path, f.anchor);
  return issueAt(source, spot, { severity: f.severity, code: f.code, message: f.message, path: f.path, hint: f.hint });
}

function offsetSpot(source: YamlSource, start: number, end: number): SourceSpot {
  const { line, col } = source.lineCounter.linePos(Math.min(start, source.text.length));
  return { line, col, length: Math.max(1, Math.min(end - start, 80)) };
}

/** The text of the mapping key that starts at `offset` (yaml points a duplicate at its first character). */
function keyAt(source: YamlSource, offset: number): string {
  const { isScalar, visit } = yamlLib();
  let found: string | undefined;
  visit(source.doc, {
    Pair(_, pair) {
      if (isScalar(pair.key) && pair.key.range?.[0] === offset) {
        found = String(pair.key.value);
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return (found ?? source.text.slice(offset).split(/[:\n]/)[0] ?? '').slice(0, 40);
}

function fromYamlError(source: YamlSource, error: YAMLError, severity: IssueSeverity): ConfigIssue {
  const [start, end] = error.pos;
  const duplicate = error.code === 'DUPLICATE_KEY';
  const code: ErrorCode = duplicate ? 'CONFIG_DUPLICATE_KEY' : 'CONFIG_YAML_SYNTAX';
  const keyText = duplicate ? keyAt(source, start) : '';
  const message = duplicate ? `the key "${keyText}" appears twice in this mapping` : (SYNTAX_MESSAGES[error.code] ?? error.message.split('\n')[0] ?? error.message);
  const hint = duplicate ? 'remove one of them, or merge their contents into one entry' : SYNTAX_HINTS[error.code];
  return issueAt(source, offsetSpot(source, start, duplicate ? start + keyText.length : end), { severity, code, message, path: [], hint });
}

/**
 * Keys must be plain text: `? [a, b]: 1` or an aliased key has no meaning in gantry.yaml. And
 * `__proto__` is refused outright: zod drops it from records, so it would vanish without a word.
 */
function badKeys(source: YamlSource): ConfigIssue[] {
  const { isPair, isScalar, visit } = yamlLib();
  const found: ConfigIssue[] = [];
  visit(source.doc, {
    Pair(_, pair) {
      const key: unknown = isPair(pair) ? pair.key : null;
      if (key === null || key === undefined) return;
      const complex = !isScalar(key);
      if (isScalar(key) && String(key.value) !== '__proto__') return;
      const range = (key as { range?: [number, number, number] | null }).range;
      const spot = range ? offsetSpot(source, range[0], complex ? range[0] + 1 : range[1]) : { line: 1, col: 1, length: 1 };
      const message = complex ? 'a key must be plain text, not a list, mapping or alias' : 'the key "__proto__" is not allowed';
      found.push(issueAt(source, spot, { severity: 'error', code: complex ? 'CONFIG_INVALID_TYPE' : 'CONFIG_INVALID_VALUE', message, path: [], hint: undefined }));
    },
  });
  return found;
}

/** The alias to blame when the tree cannot become a value: the first unresolvable one, else the first one. */
function aliasSpot(source: YamlSource): SourceSpot {
  const { visit } = yamlLib();
  let first: SourceSpot | undefined;
  let unresolved: SourceSpot | undefined;
  visit(source.doc, {
    Alias(_, alias) {
      const spot = alias.range ? offsetSpot(source, alias.range[0], alias.range[1]) : undefined;
      first ??= spot;
      if (alias.resolve(source.doc) === undefined) {
        unresolved = spot;
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return unresolved ?? first ?? { line: 1, col: 1, length: 1 };
}

/** Parses YAML and reports its problems with positions; never throws. */
export function readYaml(text: string, file: string): YamlRead {
  const { LineCounter, parseDocument } = yamlLib();
  const lineCounter = new LineCounter();
  // prettyErrors off: we build our own snippet; logLevel error: no library warnings on stderr;
  // resolveKnownTags off: `!!binary` or `!!set` would turn into Buffers and Sets, not config values;
  // merge on: `<<: *defaults` shares settings between services (YAML 1.1 merge keys).
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, logLevel: 'error', resolveKnownTags: false, merge: true });
  const source: YamlSource = { file, text, doc, lineCounter };
  const errors = [...doc.errors.map((e) => fromYamlError(source, e, 'error')), ...badKeys(source)];
  const warnings = doc.warnings.map((w) => fromYamlError(source, w, 'warning'));
  if (errors.some((e) => e.code !== 'CONFIG_DUPLICATE_KEY')) return { source, data: undefined, errors, warnings, fatal: true };
  try {
    return { source, data: doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }), errors, warnings, fatal: false };
  } catch (error: unknown) {
    // Unresolvable or exploding aliases: the only ways a well-formed tree fails to become a value.
    const message = error instanceof Error ? error.message : String(error);
    errors.push(issueAt(source, aliasSpot(source), { severity: 'error', code: 'CONFIG_YAML_SYNTAX', message, path: [], hint: 'check the anchors (&name) and aliases (*name) in this file' }));
    return { source, data: undefined, errors, warnings, fatal: true };
  }
}
