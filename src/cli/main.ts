#!/usr/bin/env node
import { CommanderError } from 'commander';
import { isGantryError } from '../errors/index.js';
import { buildProgram } from './program.js';

const EXIT_USAGE = 2;

/** The one top-level catch: errors become `explain()` text and an exit code, never a stack trace. */
async function main(argv: readonly string[]): Promise<number> {
  let exitCode = 0;
  const program = buildProgram((code) => (exitCode = code));
  try {
    await program.parseAsync([...argv]);
    return exitCode;
  } catch (error: unknown) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return 0;
      return EXIT_USAGE;
    }
    const json = argv.includes('json') && (argv.includes('--output') || argv.includes('-o'));
    if (isGantryError(error)) {
      if (json) process.stdout.write(`${JSON.stringify({ error: error.toJSON() }, null, 2)}\n`);
      else process.stderr.write(`${error.explain()}\n`);
      return error.code === 'USAGE' ? EXIT_USAGE : 1;
    }
    process.stderr.write(`INTERNAL: ${error instanceof Error ? error.message : String(error)}\n  This is a bug in Gantry; please report it with the command you ran.\n`);
    if (process.env.GANTRY_DEBUG) console.error(error);
    return 1;
  }
}

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  () => {
    process.exitCode = 1;
  },
);
