import type { Clock } from '../kernel/clock.js';
import type { ErrorBody } from '../kernel/http/http-errors.js';

/** Failed authentications (an unknown, expired or revoked token) one client address may make per window. */
export const DEFAULT_AUTH_FAILURE_LIMIT = 20;
export const DEFAULT_AUTH_FAILURE_WINDOW_MS = 60_000;
/** Addresses remembered at most; past it, expired entries go first, then the oldest. */
const MAX_TRACKED_ADDRESSES = 10_000;

interface AddressState {
  failures: number[];
  blockedUntil: number;
}

export interface AuthThrottleOptions {
  readonly limit?: number;
  readonly windowMs?: number;
}

/**
 * Slows down token guessing. An address that fails `limit` times within `windowMs` is blocked for
 * `windowMs`: every request it makes is answered 429, even one with a good token, because an address
 * that is brute-forcing is not trusted with anything else either. Other addresses are untouched, and
 * successful requests never count. Held in memory: a restart forgets, which costs an attacker nothing
 * they could not get by waiting a minute.
 */
export class AuthThrottle {
  private readonly limit: number;
  private readonly windowMs: number;
  private readonly byAddress = new Map<string, AddressState>();

  constructor(private readonly clock: Clock, options: AuthThrottleOptions = {}) {
    this.limit = options.limit ?? DEFAULT_AUTH_FAILURE_LIMIT;
    this.windowMs = options.windowMs ?? DEFAULT_AUTH_FAILURE_WINDOW_MS;
  }

  /** Milliseconds until the address may try again; 0 when it is not blocked. */
  blockedFor(address: string): number {
    const state = this.byAddress.get(address);
    return state ? Math.max(0, state.blockedUntil - this.clock.now()) : 0;
  }

  /** Counts one failure; true when it is the one that blocks the address (once per block, so the caller may audit it). */
  recordFailure(address: string): boolean {
    const now = this.clock.now();
    const state = this.byAddress.get(address) ?? { failures: [], blockedUntil: 0 };
    state.failures = state.failures.filter((at) => at > now - this.windowMs);
    state.failures.push(now);
    const blocks = state.failures.length >= this.limit;
    if (blocks) {
      state.blockedUntil = now + this.windowMs;
      state.failures = [];
    }
    this.byAddress.delete(address);
    this.byAddress.set(address, state);
    if (this.byAddress.size > MAX_TRACKED_ADDRESSES) this.forgetSome(now);
    return blocks;
  }

  private forgetSome(now: number): void {
    for (const [address, state] of this.byAddress) {
      if (state.blockedUntil <= now && state.failures.every((at) => at <= now - this.windowMs)) this.byAddress.delete(address);
    }
    for (const address of this.byAddress.keys()) {
      if (this.byAddress.size <= MAX_TRACKED_ADDRESSES) break;
      this.byAddress.delete(address);
    }
  }
}

/** The 429 answer; `Retry-After` carries the same number of seconds. */
export function tooManyFailedLogins(waitMs: number): { retryAfterSeconds: number; body: ErrorBody } {
  const retryAfterSeconds = Math.max(1, Math.ceil(waitMs / 1000));
  return {
    retryAfterSeconds,
    body: {
      code: 'TOO_MANY_FAILED_LOGINS',
      message: `too many requests with a bad token from this address; it is blocked for ${retryAfterSeconds} s`,
      hint: 'Check the token (GANTRY_TOKEN or --token) and try again after Retry-After seconds; ask an admin for a new one if it was revoked.',
    },
  };
}
