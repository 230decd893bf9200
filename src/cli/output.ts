import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';

// yaml is loaded only when a YAML document is printed: `gantry --help` never pays for it
// (test/integration/cli-lazy-loading.test.ts).
const require = createRequire(import.meta.url);

/** What `-o` asked for: text for people, or one document for programs (JSON or YAML). */
export type OutputFormat = 'text' | 'json' | 'yaml';

/** Terminal output: colour only on a TTY and never with NO_COLOR (https://no-color.org). */
export interface Output {
  readonly format: OutputFormat;
  /** true for json and yaml alike: a command prints one document through printJson, and no text. */
  readonly json: boolean;
  readonly color: boolean;
  out(text: string): void;
  err(text: string): void;
  printJson(value: unknown): void;
  paint(style: Style, text: string): string;
}

export type Style = 'green' | 'red' | 'yellow' | 'cyan' | 'dim' | 'bold';

const CODES: Record<Style, [number, number]> = { green: [32, 39], red: [31, 39], yellow: [33, 39], cyan: [36, 39], dim: [2, 22], bold: [1, 22] };

/** The document as -o asked: JSON, or the same document as YAML. */
export function formatDocument(format: OutputFormat, value: unknown): string {
  // JSON.stringify first, so YAML shows exactly what JSON would (toJSON(), no undefined fields).
  if (format === 'yaml') return (require('yaml') as typeof Yaml).stringify(JSON.parse(JSON.stringify(value)) as unknown, { lineWidth: 0 });
  return `${JSON.stringify(value, null, 2)}\n`;
}

export function createOutput(format: OutputFormat, stream: NodeJS.WriteStream = process.stdout): Output {
  const json = format !== 'text';
  const color = !json && stream.isTTY === true && process.env.NO_COLOR === undefined && process.env.TERM !== 'dumb';
  return {
    format,
    json,
    color,
    out: (text) => void process.stdout.write(`${text}\n`),
    err: (text) => void process.stderr.write(`${text}\n`),
    printJson: (value) => void process.stdout.write(formatDocument(format, value)),
    paint: (style, text) => (color ? `\u001b[${CODES[style][0]}m${text}\u001b[${CODES[style][1]}m` : text),
  };
}

const STATE_STYLE: Record<string, Style> = {
  succeeded: 'green',
  failed: 'red',
  cancelled: 'yellow',
  skipped: 'dim',
  waiting: 'yellow',
  running: 'cyan',
  queued: 'dim',
  pending: 'dim',
};

const STATE_MARK: Record<string, string> = {
  succeeded: '✓',
  failed: '✗',
  cancelled: '⊘',
  skipped: '-',
  waiting: '…',
  running: '▶',
  queued: '·',
  pending: '·',
};

export function stateLabel(o: Output, state: string): string {
  return o.paint(STATE_STYLE[state] ?? 'bold', `${STATE_MARK[state] ?? '?'} ${state}`);
}

export function stateMark(o: Output, state: string): string {
  return o.paint(STATE_STYLE[state] ?? 'bold', STATE_MARK[state] ?? '?');
}
