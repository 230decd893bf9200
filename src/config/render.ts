import type { ConfigIssue } from './issues.js';

export interface RenderOptions {
  /** ANSI colours; the CLI passes whether stdout is a TTY (and NO_COLOR is unset). */
  color: boolean;
}

/** The shape of `gantry validate --output json`; stable, scripts depend on it. */
export interface IssuesReport {
  valid: boolean;
  errors: ConfigIssue[];
  warnings: ConfigIssue[];
}

const ANSI = { red: 31, yellow: 33, cyan: 36, dim: 2, bold: 1 } as const;
type Paint = (style: keyof typeof ANSI, text: string) => string;

function painter(color: boolean): Paint {
  return color ? (style, text) => `\u001b[${ANSI[style]}m${text}\u001b[0m` : (_style, text) => text;
}

function renderSnippet(snippet: string, paint: Paint, accent: 'red' | 'yellow'): string[] {
  return snippet.split('\n').map((line, index) => {
    const bar = line.indexOf(' | ');
    if (bar === -1) return `  ${line}`;
    const gutter = paint('dim', line.slice(0, bar + 3));
    const body = line.slice(bar + 3);
    // The second line is the caret line: colour it like the severity so the eye finds it.
    return `  ${gutter}${index === 0 ? body : paint(accent, body)}`;
  });
}

function renderIssue(issue: ConfigIssue, paint: Paint): string {
  const accent = issue.severity === 'error' ? 'red' : 'yellow';
  const where = paint('bold', `${issue.file}:${issue.line}:${issue.col}`);
  const lines = [`${where} ${paint(accent, `${issue.severity} ${issue.code}`)} ${issue.message}`];
  if (issue.snippet !== '') lines.push(...renderSnippet(issue.snippet, paint, accent));
  if (issue.hint !== undefined) lines.push(`  ${paint('cyan', 'hint:')} ${issue.hint}`);
  return lines.join('\n');
}

const plural = (count: number, word: string): string => `${count} ${word}${count === 1 ? '' : 's'}`;

/** For people: each issue as `file:line:col severity CODE message`, its snippet with a caret, and its hint. */
export function renderIssues(issues: readonly ConfigIssue[], options: RenderOptions): string {
  const paint = painter(options.color);
  return issues.map((issue) => renderIssue(issue, paint)).join('\n\n');
}

/** One closing line: `2 errors, 1 warning`. */
export function renderSummary(errors: readonly ConfigIssue[], warnings: readonly ConfigIssue[], options: RenderOptions): string {
  const paint = painter(options.color);
  const text = `${plural(errors.length, 'error')}, ${plural(warnings.length, 'warning')}`;
  return errors.length > 0 ? paint('red', text) : warnings.length > 0 ? paint('yellow', text) : text;
}

/** For `--output json`: `{ valid, errors, warnings }`, each issue with every field of ConfigIssue. */
export function issuesToJson(errors: readonly ConfigIssue[], warnings: readonly ConfigIssue[]): IssuesReport {
  return { valid: errors.length === 0, errors: [...errors], warnings: [...warnings] };
}
