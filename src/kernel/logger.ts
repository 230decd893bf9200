import { pino, destination, type Logger } from 'pino';

export type { Logger };

/** Structured JSON logs to stderr; level `silent` for tests and the CLI's embedded uses. */
export function createLogger(level: string = process.env.GANTRY_LOG_LEVEL ?? 'info'): Logger {
  return pino({ level, base: { service: 'gantry' } }, destination(2));
}
