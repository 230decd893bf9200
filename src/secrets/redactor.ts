import { Buffer } from 'node:buffer';

/**
 * Values shorter than this are never masked. A 1–3 character "secret" (a PIN, `true`, `dev`)
 * occurs by chance all over a log: masking it would shred every line, and the pattern of masks
 * would itself reveal the value. It also keeps every masked form longer than MASK, so a masking
 * pass always shortens the text and masking to a fixpoint terminates. Real secrets are longer;
 * the secret store warns about short ones.
 */
export const MIN_SECRET_LENGTH = 4;
export const MASK = '***';
/**
 * Each line of a multi-line secret (a PEM key, a JSON credential) is masked on its own when it is at
 * least this long after trimming: services print such a value a line at a time, indented, with CRLF.
 * Shorter lines (`{`, `"a": 1,`) say nothing about the secret and occur everywhere.
 */
export const MIN_SECRET_LINE_LENGTH = 8;

/** Redacts a text that arrives in chunks (a log stream), with secrets split across chunks. */
export interface RedactingStream {
  /** Returns the redacted text that is safe to pass on now; a tail that may begin a secret is held back. */
  push(chunk: string): string;
  /** Returns the held-back tail, redacted. Call once, when the input has ended. */
  end(): string;
}

interface Needles {
  /** All forms, as tries (see trieSource), each regex small enough for V8 to optimise. */
  readonly patterns: readonly RegExp[];
  readonly byFirstChar: ReadonlyMap<string, readonly string[]>;
  readonly maxLength: number;
  /** A mask next to plain text can only form a needle that itself contains '*'. */
  readonly containsMaskChar: boolean;
}

/**
 * The forms in which a value shows up in logs: as is, trimmed (secrets read from files end in a
 * newline), base64 with and without padding and base64url (Basic auth, Kubernetes secrets, JWTs),
 * URL-encoded (query strings, connection URLs) and JSON-escaped (our own logs are JSON lines).
 */
function formsOf(value: string): string[] {
  const forms = new Set<string>();
  for (const v of new Set([value, value.trim()])) {
    if (v.length < MIN_SECRET_LENGTH) continue;
    const base64 = Buffer.from(v, 'utf8').toString('base64');
    forms.add(v).add(base64).add(base64.replace(/=+$/, '')).add(Buffer.from(v, 'utf8').toString('base64url'));
    forms.add(JSON.stringify(v).slice(1, -1));
    try {
      forms.add(encodeURIComponent(v));
    } catch {
      // a lone UTF-16 surrogate has no URL encoding, so it cannot appear URL-encoded either
    }
  }
  return [...forms].filter((f) => f.length >= MIN_SECRET_LENGTH);
}

/**
 * The values a secret stands for: itself; for a multi-line one, also with LF and with CRLF line
 * endings, and each of its lines of a useful length, trimmed (indentation and `\r` stay outside the
 * match, so an indented line is masked after its indentation).
 */
export function valuesOf(secret: string): string[] {
  const lines = secret.split(/\r\n|\r|\n/);
  if (lines.length === 1) return [secret];
  const pieces = lines.map((l) => l.trim()).filter((l) => l.length >= MIN_SECRET_LINE_LENGTH);
  return [...new Set([secret, lines.join('\n'), lines.join('\r\n'), ...pieces])];
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

interface TrieNode {
  end: boolean;
  readonly children: Map<string, TrieNode>;
}

/**
 * One pattern for all forms, as a trie: `abc|abd|abcde` becomes `ab(?:c(?:de)?|d)`. A flat
 * alternation makes the regex engine try every form at every position (hundreds, for the lines of
 * a PEM key in six encodings); the trie tries one branch per character. At a node where a form
 * ends and longer ones go on, the greedy `?` tries the longer first: the longest match still wins.
 * Works on UTF-16 code units, as the regex (no `u` flag) does.
 */
/**
 * V8 stops optimising a regex whose source passes 20 KB (kRegExpTooLargeToOptimize): measured here,
 * 300 forms of 64 characters scan at 26 MB/s, 400 at 1 MB/s. The forms are split into groups
 * that stay well under it; a single form longer than that gets a regex of its own.
 */
const MAX_PATTERN_SOURCE = 12_000;

function groups(forms: readonly string[]): string[][] {
  const out: string[][] = [];
  let current: string[] = [];
  let size = 0;
  for (const form of forms) {
    const cost = escapeRegExp(form).length + 8;
    if (current.length > 0 && size + cost > MAX_PATTERN_SOURCE) {
      out.push(current);
      current = [];
      size = 0;
    }
    current.push(form);
    size += cost;
  }
  if (current.length > 0) out.push(current);
  return out;
}

/** The leftmost match at or after `from` of any form, the longest of those at that position. */
function firstMatch(patterns: readonly RegExp[], text: string, from: number): { index: number; length: number } | undefined {
  let best: { index: number; length: number } | undefined;
  for (const pattern of patterns) {
    pattern.lastIndex = from;
    const match = pattern.exec(text);
    if (match && (!best || match.index < best.index || (match.index === best.index && match[0].length > best.length))) best = { index: match.index, length: match[0].length };
  }
  return best;
}

function trieSource(forms: readonly string[]): string {
  const root: TrieNode = { end: false, children: new Map() };
  for (const form of forms) {
    let node = root;
    for (let i = 0; i < form.length; i++) {
      const unit = form.charAt(i);
      let next = node.children.get(unit);
      if (!next) node.children.set(unit, (next = { end: false, children: new Map() }));
      node = next;
    }
    node.end = true;
  }
  return branches(root);
}

function branches(node: TrieNode): string {
  const alternatives = [...node.children].map(([unit, child]) => {
    // A chain of single children is one literal: no recursion (or quadratic copying) per character.
    let literal = unit;
    let at = child;
    while (!at.end && at.children.size === 1) {
      const [[nextUnit, next]] = [...at.children] as [[string, TrieNode]];
      literal += nextUnit;
      at = next;
    }
    return escapeRegExp(literal) + branches(at);
  });
  if (alternatives.length === 0) return '';
  const body = alternatives.length === 1 && !node.end ? (alternatives[0] ?? '') : `(?:${alternatives.join('|')})`;
  return node.end ? `${body}?` : body;
}

function compile(values: Iterable<string>): Needles | undefined {
  const forms = [...new Set([...values].flatMap(valuesOf).flatMap(formsOf))].sort((a, b) => b.length - a.length);
  if (forms.length === 0) return undefined;
  const byFirstChar = new Map<string, string[]>();
  for (const form of forms) byFirstChar.set(form.charAt(0), [...(byFirstChar.get(form.charAt(0)) ?? []), form]);
  return {
    patterns: groups(forms).map((group) => new RegExp(trieSource(group), 'g')),
    byFirstChar,
    maxLength: forms[0]?.length ?? 0,
    containsMaskChar: forms.some((f) => f.includes('*')),
  };
}

/** Does some needle start with text[from, to) and go on past it, with `more` true of its rest? */
function beginsNeedle(needles: Needles, text: string, from: number, to: number, more: (needle: string, at: number) => boolean): boolean {
  const length = to - from;
  return (needles.byFirstChar.get(text.charAt(from)) ?? []).some((n) => n.length > length && startsAt(n, text, from, length) && more(n, length));
}

/** Does `needle` begin with text[from, from + length)? Without a slice: most candidates differ within a character or two. */
function startsAt(needle: string, text: string, from: number, length: number): boolean {
  for (let k = 1; k < length; k++) if (needle.charCodeAt(k) !== text.charCodeAt(from + k)) return false;
  return true;
}

/** The first position from which the rest of `text` could be the beginning of a secret. */
function pendingStart(needles: Needles, text: string): number {
  for (let j = Math.max(0, text.length - needles.maxLength + 1); j < text.length; j++) {
    if (beginsNeedle(needles, text, j, text.length, () => true)) return j;
  }
  return text.length;
}

/**
 * Where emitting must stop. Beyond `pending`, a secret may be arriving. Before it, text is final,
 * except when a needle contains '*': then a later mask could complete it together with plain text
 * just before `pending`, so that text is held back too.
 */
function safeEnd(needles: Needles, text: string, pending: number): number {
  if (!needles.containsMaskChar) return pending;
  for (let j = Math.max(0, pending - needles.maxLength + 1); j < pending; j++) {
    if (beginsNeedle(needles, text, j, pending, (n, at) => n.includes('*', at))) return j;
  }
  return pending;
}

class RedactionScanner implements RedactingStream {
  private held = '';

  constructor(private readonly needles: Needles) {}

  push(chunk: string): string {
    return this.scan(this.held + chunk, false);
  }

  end(): string {
    return this.scan(this.held, true);
  }

  /**
   * Replaces the leftmost, then longest, occurrence of a needle with MASK until none is left, as
   * one pass over the whole input would; a match is taken only when no longer or earlier one could
   * still appear with the next chunk, so the output does not depend on where the chunks were cut.
   */
  private scan(input: string, final: boolean): string {
    const { patterns, maxLength, containsMaskChar } = this.needles;
    let text = input;
    let out = '';
    let from = 0;
    let pending = final ? text.length : pendingStart(this.needles, text);
    for (;;) {
      const match = firstMatch(patterns, text, from);
      if (!match || match.index >= pending) {
        const cut = final ? text.length : safeEnd(this.needles, text, pending);
        this.held = text.slice(cut);
        return out + text.slice(0, cut);
      }
      const end = match.index + match.length;
      const after = text.slice(end);
      const before = text.length;
      if (containsMaskChar) {
        // The mask may complete a needle that begins up to maxLength - 1 characters before it.
        text = text.slice(0, match.index) + MASK + after;
        from = Math.max(0, match.index - maxLength + 1);
      } else {
        out += text.slice(0, match.index) + MASK;
        text = after;
        from = 0;
      }
      // The text after the match is unchanged, so where a secret may begin only moves with it (costly
      // to find again for a long secret); a mask or a match reaching into that tail may change it.
      if (final) pending = text.length;
      else if (containsMaskChar || end > pending) pending = pendingStart(this.needles, text);
      else pending -= before - text.length;
    }
  }
}

/** Masks secret values, and the encoded forms they take in logs, with MASK. */
export class Redactor {
  private readonly needles: Needles | undefined;

  constructor(secretValues: Iterable<string>) {
    this.needles = compile(secretValues);
  }

  redact(text: string): string {
    const stream = this.stream();
    return stream.push(text) + stream.end();
  }

  /** A fresh stream for one log; keep one per source so that chunks of two logs never mix. */
  stream(): RedactingStream {
    const needles = this.needles;
    if (!needles) return { push: (chunk) => chunk, end: () => '' };
    return new RedactionScanner(needles);
  }
}
