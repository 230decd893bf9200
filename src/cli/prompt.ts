import { Buffer } from 'node:buffer';
import { createInterface } from 'node:readline/promises';
import { UsageError } from '../errors/index.js';
import type { CliContext } from './context.js';

/** Asks for a typed phrase on a terminal; off a terminal (CI, pipes) the flag is required instead. */
export async function askConfirmation(ctx: CliContext, phrase: string): Promise<string> {
  if (!process.stdin.isTTY || process.env.CI === 'true' || ctx.out.json) {
    throw new UsageError('USAGE', `this needs the typed phrase "${phrase}"`, { hint: `Pass --confirm "${phrase}".` });
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return (await rl.question(`Type "${phrase}" to go on: `)).trim();
  } finally {
    rl.close();
  }
}

/** All of stdin, minus one trailing newline (what `echo` and most editors add). */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

/** Reads a line on a terminal without echoing it; Ctrl-C rejects with `cancelled` (a usage error). */
export function readHidden(prompt: string, cancelled: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(prompt);
  stdin.setRawMode(true);
  stdin.setEncoding('utf8');
  stdin.resume();
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = (): void => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
    };
    const onData = (chunk: string): void => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') {
          finish();
          resolve(value);
          return;
        }
        if (ch === '\u0003') {
          finish();
          reject(new UsageError('USAGE', cancelled));
          return;
        }
        value = ch === '\u007f' || ch === '\b' ? value.slice(0, -1) : value + ch;
      }
    };
    stdin.on('data', onData);
  });
}
