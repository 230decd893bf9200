import { GateError } from '../../errors/index.js';

/**
 * The one way a report parser fails: a `GateError` with code REPORT_UNREADABLE, so the gate step
 * can tell "the tests failed" apart from "the tests wrote something we cannot read".
 */
export function reportUnreadable(
  report: string,
  reason: string,
  options: { readonly where?: string; readonly hint: string; readonly cause?: unknown },
): GateError {
  return new GateError('REPORT_UNREADABLE', `${report} report cannot be read: ${reason}`, {
    hint: options.hint,
    ...(options.where === undefined ? {} : { where: options.where }),
    ...(options.cause === undefined ? {} : { cause: options.cause }),
    details: { report },
  });
}

/** Reads a report attribute that must be a whole, non-negative count. */
export function readCount(value: string | undefined, what: string, report: string, hint: string): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw reportUnreadable(report, `${what} is "${value}", not a whole number`, { hint });
  return n;
}
