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
