/** Longest stretch of a source line shown in a snippet; fuzzed or minified files can have huge lines. */
const MAX_WIDTH = 100;

function sourceLine(text: string, line: number): string {
  let start = 0;
  for (let current = 1; current < line; current++) {
    const next = text.indexOf('\n', start);
    if (next === -1) return '';
    start = next + 1;
  }
  const end = text.indexOf('\n', start);
  return text.slice(start, end === -1 ? text.length : end).replace(/\r$/, '');
}

/**
 * The offending line with a line number gutter and a caret line under the column:
 *
 *     12 |     previewPortOfset: 5
 *        |     ^^^^^^^^^^^^^^^^
 */
export function makeSnippet(text: string, line: number, col: number, length = 1): string {
  let source = sourceLine(text, line);
  let column = Math.max(1, col);
  if (source.length > MAX_WIDTH) {
    // Keep the column in view: cut the line to a window that starts a little before it.
    const from = Math.max(0, Math.min(column - 1 - 20, source.length - MAX_WIDTH));
    source = `${from > 0 ? '…' : ''}${source.slice(from, from + MAX_WIDTH)}${from + MAX_WIDTH < source.length ? '…' : ''}`;
    column = column - from + (from > 0 ? 1 : 0);
  }
  const gutter = String(line);
  const pad = ' '.repeat(gutter.length);
  // Copy tabs from the source so the caret lines up however wide the terminal renders a tab.
  const lead = source.slice(0, column - 1).replace(/[^\t]/g, ' ');
  const width = Math.max(1, Math.min(length, source.length - (column - 1)));
  return `${gutter} | ${source}\n${pad} | ${lead}${'^'.repeat(width)}`;
}
