import type { Document, LineCounter, Node, Pair, YAMLMap } from 'yaml';
import type { Anchor, ConfigPath } from './issues.js';
import { yamlLib } from './yaml-lib.js';

/** A place in the source text: 1-based line and column, and how many characters to underline. */
export interface SourceSpot {
  line: number;
  col: number;
  length: number;
}

interface Step {
  node: Node | null;
  /** The key node of the entry we came through, when we came through a mapping. */
  key: Node | null;
}

function deref(doc: Document, node: unknown): Node | null {
  const { isAlias, isMap, isScalar, isSeq } = yamlLib();
  if (isAlias(node)) return node.resolve(doc) ?? null;
  return isMap(node) || isSeq(node) || isScalar(node) ? node : null;
}

/** `<<` of a merge key: yaml reads it as a scalar whose value is the symbol `<<` (or the text, when quoted off). */
function isMergeKey(key: unknown): boolean {
  const { isScalar } = yamlLib();
  if (!isScalar(key)) return false;
  const value: unknown = key.value;
  return value === '<<' || (typeof value === 'symbol' && value.description === '<<');
}

/**
 * The pair that gives `map` its value at `key`, as yaml's `merge: true` resolves it: an explicit key
 * wins (the last of equals), else the first merged mapping that has it, so a problem inside merged
 * content is shown where that content is written (the anchored mapping).
 */
function pairFor(doc: Document, map: YAMLMap, key: string, depth = 0): Pair | undefined {
  const { isMap, isScalar, isSeq } = yamlLib();
  const items = map.items as Pair[];
  const explicit = items.findLast((p) => !isMergeKey(p.key) && isScalar(p.key) && String(p.key.value) === key);
  if (explicit || depth > 20) return explicit;
  for (const merge of items.filter((p) => isMergeKey(p.key))) {
    const sources = isSeq(merge.value) ? merge.value.items : [merge.value];
    for (const source of sources) {
      const resolved = deref(doc, source);
      const found = isMap(resolved) ? pairFor(doc, resolved, key, depth + 1) : undefined;
      if (found) return found;
    }
  }
  return undefined;
}

/** Follows `path` through the YAML tree as far as it exists; one step per segment reached. */
function walk(doc: Document, path: ConfigPath): Step[] {
  const { isAlias, isMap, isScalar, isSeq } = yamlLib();
  const steps: Step[] = [{ node: isAlias(doc.contents) || isMap(doc.contents) || isSeq(doc.contents) || isScalar(doc.contents) ? doc.contents : null, key: null }];
  for (const segment of path) {
    const here = deref(doc, steps[steps.length - 1]?.node ?? null);
    if (isMap(here)) {
      const pair = pairFor(doc, here, String(segment));
      if (!pair) break;
      steps.push({ node: (pair.value as Node | null) ?? null, key: pair.key as Node });
    } else if (isSeq(here) && typeof segment === 'number') {
      const item = here.items[segment];
      if (item === undefined) break;
      steps.push({ node: (item as Node | null) ?? null, key: null });
    } else break;
  }
  return steps;
}

function hasText(node: Node | null): node is Node {
  const range = node?.range;
  return range !== undefined && range !== null && range[1] > range[0];
}

function spotOf(node: Node | null, lineCounter: LineCounter, text: string): SourceSpot {
  const { isAlias, isScalar } = yamlLib();
  const range = node?.range;
  if (!range) return { line: 1, col: 1, length: 1 };
  const start = Math.min(range[0], text.length);
  const { line, col } = lineCounter.linePos(start);
  // Underline a scalar or key in full, but never past its line; a collection gets a single caret.
  const lineEnd = text.indexOf('\n', start);
  const end = Math.min(range[1], lineEnd === -1 ? text.length : lineEnd);
  const length = isScalar(node) || isAlias(node) ? Math.max(1, end - start) : 1;
  return { line, col, length };
}

/**
 * Where in the text the value at `path` is. When the path does not fully exist (a missing key,
 * or a value zod produced by a default) the deepest existing ancestor is used instead.
 */
export function locate(doc: Document, lineCounter: LineCounter, text: string, path: ConfigPath, anchor: Anchor): SourceSpot {
  const target = anchor === 'parent' ? path.slice(0, -1) : path;
  const steps = walk(doc, target);
  const last = steps[steps.length - 1];
  const complete = steps.length === target.length + 1;
  if (!last) return { line: 1, col: 1, length: 1 };
  // An entry is best shown by its key: for missing keys the entry to extend, for names the name itself,
  // and for an empty value (`path:` with nothing after it) there is no value text to point at.
  const preferKey = anchor !== 'value' || !complete || !hasText(last.node);
  const node = preferKey && last.key ? last.key : (last.node ?? last.key);
  return spotOf(node, lineCounter, text);
}
