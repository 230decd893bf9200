import { describe, expect, it } from 'vitest';
import { ERROR_CODES, type ErrorCode } from '../../src/errors/codes.js';
import { EXIT, exitCodeFor } from '../../src/cli/exit-codes.js';
import { formatDocument } from '../../src/cli/output.js';
import { normaliseOutputFlag, outputFormatFromArgv } from '../../src/cli/output-flag.js';
import { tableLines } from '../../src/cli/table.js';
import { parse } from 'yaml';

describe('list tables', () => {
  const rows = [
    ['#12', 'succeeded', 'a long reason that is not padded'],
    ['#7', '\u001b[32m✓ ok\u001b[39m', 'x'],
  ];

  it('prints a header row, each column as wide as its widest cell, the last one unpadded', () => {
    expect(tableLines(['RUN', 'STATE', 'WHY'], rows, { headers: true })).toEqual(['RUN  STATE      WHY', '#12  succeeded  a long reason that is not padded', '#7   \u001b[32m✓ ok\u001b[39m       x']);
  });

  it('drops the header row with --no-headers, and the widths it set', () => {
    expect(tableLines(['A-VERY-WIDE-HEADER', 'STATE', 'WHY'], rows, { headers: false })).toEqual(['#12  succeeded  a long reason that is not padded', '#7   \u001b[32m✓ ok\u001b[39m       x']);
  });
});

describe('-o on the command line, read for errors', () => {
  it.each([
    [['runs', '-o', 'json'], 'json'],
    [['runs', '-ojson'], 'json'],
    [['runs', '-o=json'], 'json'],
    [['runs', '--output', 'json'], 'json'],
    [['runs', '--output=yaml'], 'yaml'],
    [['-o', 'yaml', 'runs'], 'yaml'],
    [['runs'], 'text'],
    [['runs', '-o', 'json', '-o', 'text'], 'text'],
    [['logs', '42', '--', '-o', 'json'], 'text'],
    [['runs', '--output', 'xml'], 'text'],
  ])('%j asks for %s', (argv, format) => {
    expect(outputFormatFromArgv(argv)).toBe(format);
  });

  it('rewrites -o=json as -ojson before commander reads it, and nothing after --', () => {
    expect(normaliseOutputFlag(['runs', '-o=json', '--', '-o=x'])).toEqual(['runs', '-ojson', '--', '-o=x']);
  });
});

describe('exit codes', () => {
  it.each<[ErrorCode, number]>([
    ['USAGE', EXIT.USAGE],
    ['AUTH_REQUIRED', EXIT.NOT_AUTHORISED],
    ['AUTH_INVALID', EXIT.NOT_AUTHORISED],
    ['FORBIDDEN', EXIT.NOT_AUTHORISED],
    ['APPROVAL_SELF', EXIT.NOT_AUTHORISED],
    ['SERVER_UNREACHABLE', EXIT.UNREACHABLE],
    ['SERVER_NOT_GANTRY', EXIT.UNREACHABLE],
    ['FOLLOW_TIMEOUT', EXIT.TIMED_OUT],
    ['GATE_FAILED', EXIT.FAILED],
    ['NOT_FOUND', EXIT.FAILED],
  ])('%s exits %i', (code, exit) => {
    expect(exitCodeFor(code)).toBe(exit);
  });

  it('gives every registered code one of the documented exit codes', () => {
    for (const code of Object.keys(ERROR_CODES) as ErrorCode[]) expect(Object.values(EXIT)).toContain(exitCodeFor(code));
  });
});

describe('-o yaml', () => {
  it('prints the very document -o json prints', () => {
    const value = { run: { id: 3, state: 'failed', error: { code: 'GATE_FAILED', hint: undefined }, notes: ['a: b', '#x'], at: new Date(0) } };
    expect(parse(formatDocument('yaml', value))).toEqual(JSON.parse(formatDocument('json', value)));
  });
});
