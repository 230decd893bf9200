import type { ErrorCode } from './codes.js';

export interface GantryErrorOptions {
  readonly cause?: unknown;
  /** What the user can do about it. */
  readonly hint?: string;
  /** Where it happened: a file:line:col, a step, a route. */
  readonly where?: string;
  /** Whether the engine may try the same work again. */
  readonly retryable?: boolean;
  readonly details?: Readonly<Record<string, unknown>>;
}

/** The one base class of every error Gantry reports on purpose. */
export class GantryError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly where: string | undefined;
  readonly retryable: boolean;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: ErrorCode, message: string, options: GantryErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.hint = options.hint;
    this.where = options.where;
    this.retryable = options.retryable ?? false;
    this.details = options.details;
  }

  /** What happened, where, and what to do: the text a person reads. */
  explain(): string {
    const lines = [`${this.code}: ${this.message}`];
    if (this.where) lines.push(`  where: ${this.where}`);
    if (this.hint) lines.push(`  hint: ${this.hint}`);
    return lines.join('\n');
  }

  toJSON(): { code: ErrorCode; message: string; hint?: string; where?: string; details?: Readonly<Record<string, unknown>> } {
    return {
      code: this.code,
      message: this.message,
      ...(this.hint === undefined ? {} : { hint: this.hint }),
      ...(this.where === undefined ? {} : { where: this.where }),
      ...(this.details === undefined ? {} : { details: this.details }),
    };
  }
}

export class ConfigError extends GantryError {}
export class GateError extends GantryError {}
export class TargetError extends GantryError {}
export class HealthCheckError extends GantryError {}
export class ApprovalError extends GantryError {}
export class LockError extends GantryError {}
export class TimeoutError extends GantryError {}
export class GitError extends GantryError {}
export class NotFoundError extends GantryError {}
export class UsageError extends GantryError {}

/** Only for bugs: the CLI prints it with a request to report it. */
export class InternalError extends GantryError {
  constructor(message: string, cause?: unknown) {
    super('INTERNAL', message, { cause, hint: 'This is a bug in Gantry; please report it with the command you ran.' });
  }
}

export function isGantryError(error: unknown): error is GantryError {
  return error instanceof GantryError;
}
