import { GantryError, type GantryErrorOptions } from '../errors/index.js';
import type { ErrorCode } from '../errors/codes.js';

/** A delivery attempt that did not land. `retryable` decides whether the dispatcher tries again. */
export class DeliveryError extends GantryError {
  /** How long a 429 asked us to wait, when it said so. */
  readonly retryAfterMs: number | undefined;

  constructor(code: Extract<ErrorCode, `NOTIFY_${string}`>, message: string, options: GantryErrorOptions & { retryAfterMs?: number } = {}) {
    super(code, message, options);
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** Network errors, 408, 429 and 5xx are worth another try; any other 4xx will fail the same way again. */
export const isRetryableStatus = (status: number): boolean => status === 408 || status === 429 || status >= 500;

/** A secret a channel needs, or a non-retryable error that names it (never its value). */
export function requireSecret(values: Record<string, string>, name: string, channel: string): string {
  const value = values[name];
  if (value === undefined || value === '') {
    throw new DeliveryError('NOTIFY_SECRET_MISSING', `channel ${channel} needs secret ${name}, which the server does not have`, {
      hint: `Set GANTRY_SECRET_${name} on the server (or add it to the secret store).`,
    });
  }
  return value;
}
