import { createRequire } from 'node:module';
import { pino, destination, type DestinationStream, type Logger } from 'pino';
import type PinoPretty from 'pino-pretty';

export type { Logger };

/** Where log lines go: stderr unless a test passes its own stream; `isTTY` decides the format. */
export interface LogOutput extends DestinationStream {
  readonly isTTY?: boolean;
}

export interface LoggerOptions {
  /** Default: stderr (file descriptor 2). Readable lines when it is a terminal, JSON otherwise. */
  readonly output?: LogOutput;
}

/**
 * Structured logs to stderr: one JSON object a line for log collectors (journald, Docker, Loki),
 * and, when stderr is a terminal, one readable line per entry (pino-pretty, in this process: a
 * transport's worker thread would lose the last lines of a crash). Level `silent` for tests and the
 * CLI's embedded uses.
 */
export function createLogger(level: string = process.env.GANTRY_LOG_LEVEL ?? 'info', options: LoggerOptions = {}): Logger {
  const pretty = (options.output ?? process.stderr).isTTY === true;
  const stream = pretty ? prettyStream(options.output) : (options.output ?? destination(2));
  return pino({ level, base: { service: 'gantry' } }, stream);
}

/** pino-pretty is loaded only when a terminal reads the log: servers under systemd or Docker never pay for it. */
function prettyStream(output: LogOutput | undefined): DestinationStream {
  const pinoPretty = createRequire(import.meta.url)('pino-pretty') as typeof PinoPretty;
  return pinoPretty({
    // Synchronous on stderr, as pino's own destination(2): a line logged just before an exit is not lost.
    ...(output ? { destination: output } : { destination: 2, sync: true }),
    colorize: output === undefined && !process.env.NO_COLOR,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'service',
    // Fields on the message's line: an access line stays one line on a terminal too.
    singleLine: true,
  });
}
