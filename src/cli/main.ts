#!/usr/bin/env node
import { CommanderError, type Command } from 'commander';
import { isGantryError } from '../errors/index.js';
import { keepsRunningWithoutOutput } from './closed-output.js';
import { EXIT, exitCodeFor } from './exit-codes.js';
import { formatDocument, type OutputFormat } from './output.js';
import { normaliseOutputFlag, outputFormatFromArgv } from './output-flag.js';
import { buildProgram } from './program.js';

const REPORT_IT = 'This is a bug in Gantry; please report it with the command you ran.';

function internal(error: unknown, format: OutputFormat = 'text'): void {
  const message = error instanceof Error ? error.message : String(error);
  if (format !== 'text') process.stdout.write(formatDocument(format, { error: { code: 'INTERNAL', message, hint: REPORT_IT } }));
  process.stderr.write(`INTERNAL: ${message}\n  ${REPORT_IT}\n`);
  if (process.env.GANTRY_DEBUG) console.error(error);
}

/** With -o json or yaml, commander's own errors (an unknown flag, a bad value) leave as a document too, printed by main. */
function quietCommanderErrors(command: Command): void {
  command.configureOutput({ outputError: () => undefined });
  for (const sub of command.commands) quietCommanderErrors(sub);
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

/** The one top-level catch: errors become `explain()` text (or a JSON/YAML document) and an exit code (exit-codes.ts), never a stack trace. */
async function main(argv: readonly string[]): Promise<number> {
  let exitCode: number = EXIT.OK;
  const args = normaliseOutputFlag(argv);
  const program = buildProgram((code) => (exitCode = code));
  const asked = outputFormatFromArgv(args.slice(2));
  if (asked !== 'text') quietCommanderErrors(program);
  try {
    await program.parseAsync(args);
    return exitCode;
  } catch (error: unknown) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return EXIT.OK;
      if (asked !== 'text') process.stdout.write(formatDocument(asked, { error: { code: 'USAGE', message: error.message.replace(/^error: /, ''), hint: 'Run the command with --help for its usage.' } }));
      return EXIT.USAGE;
    }
    // The options commander read are the truth once it got this far; the raw line is the fallback.
    const given = (program.opts() as { output?: unknown }).output;
    const format: OutputFormat = given === 'json' || given === 'yaml' ? given : asked;
    if (isGantryError(error)) {
      if (format !== 'text') process.stdout.write(formatDocument(format, { error: error.toJSON() }));
      else process.stderr.write(`${error.explain()}\n`);
      return exitCodeFor(error.code);
    }
    internal(error, format);
    return EXIT.FAILED;
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
    process.exitCode = EXIT.FAILED;
  },
);
