import { readFileSync } from 'node:fs';

/** Descriptors kept back for the agent's own needs: health probes, the control API, state writes, logs. */
export const MIN_FD_RESERVE = 256;
/** …or this share of the limit, when larger: a big agent has more revisions to probe and log. */
export const FD_RESERVE_SHARE = 0.1;
/** No route gets fewer, however small the limit: a route that refuses everyone serves nobody. */
export const MIN_ROUTE_CONNECTIONS = 16;
/** When the limit cannot be read (not Linux): the common soft default of 1024. */
export const FALLBACK_OPEN_FILES = 1024;

/**
 * The soft "Max open files" of this process, read from /proc/self/limits (what `ulimit -n` shows).
 * Node cannot call getrlimit; "unlimited" is answered as the largest safe integer.
 */
export function openFileLimit(limitsText?: string): number {
  let text = limitsText;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/self/limits', 'utf8');
    } catch {
      return FALLBACK_OPEN_FILES;
    }
  }
  const soft = /^Max open files\s+(\S+)/m.exec(text)?.[1];
  if (soft === undefined) return FALLBACK_OPEN_FILES;
  if (soft === 'unlimited') return Number.MAX_SAFE_INTEGER;
  const n = Number(soft);
  return Number.isInteger(n) && n > 0 ? n : FALLBACK_OPEN_FILES;
}

/**
 * The default connection limit of each of `routes` routes: the descriptors left after the reserve,
 * shared equally, halved because a proxied request holds two (the client's and the upstream's).
 * With 20,000 files and 4 routes: (20,000 − 2,000) / (2 × 4) = 2,250 client connections per route.
 */
export function defaultConnectionLimit(openFiles: number, routes: number): number {
  const reserve = Math.max(MIN_FD_RESERVE, Math.ceil(openFiles * FD_RESERVE_SHARE));
  const perRoute = Math.floor((openFiles - reserve) / (2 * Math.max(1, routes)));
  return Math.max(MIN_ROUTE_CONNECTIONS, perRoute);
}
