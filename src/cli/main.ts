#!/usr/bin/env node
import { CommanderError } from 'commander';
import { isGantryError } from '../errors/index.js';
import { keepsRunningWithoutOutput } from './closed-output.js';
import { buildProgram } from './program.js';

const EXIT_USAGE = 2;

function internal(error: unknown): void {
  process.stderr.write(`INTERNAL: ${error instanceof Error ? error.message : String(error)}\n  This is a bug in Gantry; please report it with the command you ran.\n`);
  if (process.env.GANTRY_DEBUG) console.error(error);
}

/**
 * A reader that stops early (`gantry runs | head -1`) closes the pipe: the command ends quietly
 * with what was read, as git and ls do, instead of dying on EPIPE with a stack trace; a server
 * keeps running (closed-output.ts).
 */
function endQuietlyOnClosedPipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') {
      if (keepsRunningWithoutOutput()) return;
      process.exit(0);
    }
    if (stream !== process.stderr) process.stderr.write(`cannot write the output: ${error.message}\n`);
    process.exit(1);
  });
}

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
    internal(error);
    return 1;
  }
}

endQuietlyOnClosedPipe(process.stdout);
endQuietlyOnClosedPipe(process.stderr);
// What escapes the top-level catch (an emitter's error, a callback's throw) still gets words, not a trace.
process.on('uncaughtException', (error) => {
  internal(error);
  process.exit(1);
});

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  () => {
    process.exitCode = 1;
  },
);
