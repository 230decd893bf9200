import type { CliContext } from './context.js';

// Colour codes take no room on the screen: widths are measured without them.
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

const visibleWidth = (text: string): number => text.replace(ANSI, '').length;

/**
 * The lines of a list table: a header row (unless `headers` is false, `--no-headers`), then one row per
 * item, each column as wide as its widest cell and two spaces apart, as `kubectl get` prints them.
 * The last column is not padded, so a long free-text cell (a reason, a summary) does not widen the others.
 */
export function tableLines(headers: readonly string[], rows: ReadonlyArray<readonly string[]>, options: { headers: boolean }): string[] {
  const all = options.headers ? [headers, ...rows] : [...rows];
  const widths = headers.map((_, i) => Math.max(0, ...all.map((row) => visibleWidth(row[i] ?? ''))));
  return all.map((row) =>
    headers
      .map((_, i) => {
        const cell = row[i] ?? '';
        return i === headers.length - 1 ? cell : cell + ' '.repeat((widths[i] ?? 0) - visibleWidth(cell));
      })
      .join('  ')
      .trimEnd(),
  );
}

/** Prints a list table to stdout, with the header row unless `--no-headers` was given. */
export function printTable(ctx: CliContext, headers: readonly string[], rows: ReadonlyArray<readonly string[]>): void {
  for (const line of tableLines(headers, rows, { headers: ctx.options.headers })) ctx.out.out(line);
}

/**
 * The `Examples:` section of a command's help (commander's addHelpText('after', …)): each command
 * line with what it does beside it, aligned as a table without headers.
 */
export function examplesHelp(examples: ReadonlyArray<readonly [command: string, what: string]>): string {
  return `\nExamples:\n${tableLines(['command', 'what'], examples, { headers: false })
    .map((line) => `  ${line}`)
    .join('\n')}`;
}
