import type { OutputFormat } from './output.js';

const FORMATS: readonly string[] = ['text', 'json', 'yaml'];

/**
 * `-o=json` as `-ojson`: commander reads a short flag's `=` as part of its value (`=json`, refused),
 * while people write it as they write `--output=json`. Nothing after `--` is touched.
 */
export function normaliseOutputFlag(argv: readonly string[]): string[] {
  const end = argv.indexOf('--');
  return argv.map((arg, i) => ((end < 0 || i < end) && arg.startsWith('-o=') ? `-o${arg.slice(3)}` : arg));
}

/**
 * The format `-o` asks for, read from the raw command line: for an error commander raises while it
 * reads that line, before it has the options' values. Every spelling commander takes
 * (`-o json`, `-ojson`, `-o=json`, `--output json`, `--output=json`); the last one wins.
 */
export function outputFormatFromArgv(argv: readonly string[]): OutputFormat {
  let format: OutputFormat = 'text';
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--') break;
    let value: string | undefined;
    if (arg === '-o' || arg === '--output') value = argv[++i];
    else if (arg.startsWith('--output=')) value = arg.slice('--output='.length);
    else if (arg.startsWith('-o')) value = arg.slice(2).replace(/^=/, '');
    if (value !== undefined && FORMATS.includes(value)) format = value as OutputFormat;
  }
  return format;
}
