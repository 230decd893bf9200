/** Terminal output: colour only on a TTY and never with NO_COLOR (https://no-color.org). */
export interface Output {
  readonly json: boolean;
  readonly color: boolean;
  out(text: string): void;
  err(text: string): void;
  printJson(value: unknown): void;
  paint(style: Style, text: string): string;
}

export type Style = 'green' | 'red' | 'yellow' | 'cyan' | 'dim' | 'bold';

const CODES: Record<Style, [number, number]> = { green: [32, 39], red: [31, 39], yellow: [33, 39], cyan: [36, 39], dim: [2, 22], bold: [1, 22] };

export function createOutput(json: boolean, stream: NodeJS.WriteStream = process.stdout): Output {
  const color = !json && stream.isTTY === true && process.env.NO_COLOR === undefined && process.env.TERM !== 'dumb';
  return {
    json,
    color,
    out: (text) => void process.stdout.write(`${text}\n`),
    err: (text) => void process.stderr.write(`${text}\n`),
    printJson: (value) => void process.stdout.write(`${JSON.stringify(value, null, 2)}\n`),
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
