import type { ErrorCode } from '../errors/codes.js';
import type { GantryConfig } from './types.js';

export type IssueSeverity = 'error' | 'warning';
export type ConfigPath = (string | number)[];

/** One problem in a gantry.yaml, positioned so that a person can jump straight to it. */
export interface ConfigIssue {
  severity: IssueSeverity;
  code: ErrorCode;
  message: string;
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  col: number;
  path: ConfigPath;
  /** The offending line with its line number gutter, and a caret line under the column. */
  snippet: string;
  hint: string | undefined;
}

export type LoadResult =
  | { ok: true; config: GantryConfig; warnings: ConfigIssue[] }
  | { ok: false; errors: ConfigIssue[]; warnings: ConfigIssue[] };

/**
 * Which YAML node a finding points at: the key of the entry (unknown keys, names), its value
 * (wrong values), or the entry that holds it (missing keys: the thing the user must extend).
 */
export type Anchor = 'key' | 'value' | 'parent';

/** A problem found by validation or a rule, before the loader gives it a position in the text. */
export interface Finding {
  severity: IssueSeverity;
  code: ErrorCode;
  message: string;
  path: ConfigPath;
  anchor: Anchor;
  hint?: string | undefined;
}

export function finding(code: ErrorCode, path: ConfigPath, message: string, extra: Partial<Pick<Finding, 'anchor' | 'hint' | 'severity'>> = {}): Finding {
  return { severity: extra.severity ?? 'error', code, message, path, anchor: extra.anchor ?? 'value', hint: extra.hint };
}

/** Orders issues as they appear in the file, so the first one printed is the first one met. */
export function compareIssues(a: ConfigIssue, b: ConfigIssue): number {
  return a.line - b.line || a.col - b.col || a.code.localeCompare(b.code) || a.message.localeCompare(b.message);
}

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** `environments.production.verify[1].service`; odd keys such as branch patterns are quoted. */
export function formatPath(path: readonly (string | number)[]): string {
  if (path.length === 0) return 'the file';
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (PLAIN_KEY.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}
