import type { DoraWindow } from './types.js';

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;
export const WEEK_MS = 7 * DAY_MS;
/** DORA's "once per month" and "one month" read as 30 days. */
export const MONTH_MS = 30 * DAY_MS;

export const DEFAULT_DORA_WINDOW = '30d';
/** Ten years: past that a window is a typo, and a multiplication could leave the safe integers. */
// A year: the store is read synchronously, and a longer window over a large history stalls the server (bench/dora).
export const MAX_DORA_WINDOW_MS = 366 * DAY_MS;

const UNIT_MS = { h: HOUR_MS, d: DAY_MS, w: WEEK_MS } as const;

/** `12h`, `30d`, `4w` → milliseconds; undefined for anything else (the caller names the field). */
export function parseWindow(text: string): number | undefined {
  const match = /^([1-9]\d{0,5})(h|d|w)$/.exec(text);
  if (!match) return undefined;
  const ms = Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  return ms <= MAX_DORA_WINDOW_MS ? ms : undefined;
}

/** The window that ends at `now` (injected, never read from the system clock here). */
export function windowEndingAt(now: number, lengthMs: number): DoraWindow {
  return { start: now - lengthMs, end: now };
}

export const inWindow = (window: DoraWindow, at: number): boolean => at >= window.start && at <= window.end;
