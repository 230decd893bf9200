/**
 * The figures of bench/agent-restart.ts, worked out from every recorded request: over the whole
 * measured run, and within the windows around each restart (from the signal to a fixed time after
 * the new process answered). A request counts in a window when its life (sent → ended) overlaps it,
 * so one that waited through the restart is there even if it was sent before the signal.
 */
import type { RequestRecord } from './restart-load.js';

/** One restart: when the signal was sent and when the new process answered (epoch ms). */
export interface Restart {
  readonly signalAt: number;
  readonly answeringAt: number;
}

export interface Latency {
  readonly count: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

export interface Figures {
  readonly requests: number;
  readonly reqPerSec: number;
  readonly non2xx: number;
  /** Requests that got no answer at all: refused, reset, timed out; by error code. */
  readonly errors: number;
  readonly errorKinds: string;
  readonly whole: Latency;
  /** Every window's requests pooled, and the failures among them. */
  readonly windows: Latency & { readonly failed: number };
  /** The highest p99 of any single window: the worst restart. */
  readonly worstWindowP99: number;
  readonly restartMs: { readonly median: number; readonly max: number } | undefined;
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

export function latencyOf(records: readonly RequestRecord[]): Latency {
  const values = Float64Array.from(records, (r) => r.endedAt - r.sentAt).sort();
  return { count: values.length, p50: percentile(values, 0.5), p99: percentile(values, 0.99), max: values.length ? values[values.length - 1]! : Number.NaN };
}

const failed = (r: RequestRecord): boolean => r.error !== undefined || r.status < 200 || r.status > 299;

/**
 * Figures of the requests sent in [from, to] (the warm-up before `from` is left out); windows run
 * from each restart's signal to `afterMs` past its answer.
 */
export function figuresOf(all: readonly RequestRecord[], from: number, to: number, restarts: readonly Restart[], afterMs: number): Figures {
  const records = all.filter((r) => r.sentAt >= from && r.sentAt <= to);
  const errors = records.filter((r) => r.error !== undefined);
  const kinds = new Map<string, number>();
  for (const r of errors) kinds.set(r.error ?? '', (kinds.get(r.error ?? '') ?? 0) + 1);
  const windows = restarts.map(({ signalAt, answeringAt }) => records.filter((r) => r.endedAt >= signalAt && r.sentAt <= answeringAt + afterMs));
  const pooled = [...new Set(windows.flat())];
  const took = restarts.map((r) => r.answeringAt - r.signalAt).sort((a, b) => a - b);
  const lastEnd = records.reduce((m, r) => Math.max(m, r.endedAt), from);
  return {
    requests: records.length,
    reqPerSec: records.length / Math.max(0.001, (lastEnd - from) / 1000),
    non2xx: records.filter((r) => r.error === undefined && failed(r)).length,
    errors: errors.length,
    errorKinds: [...kinds].map(([code, n]) => `${code} ${n}`).join(', ') || 'none',
    whole: latencyOf(records),
    windows: { ...latencyOf(pooled), failed: pooled.filter(failed).length },
    worstWindowP99: windows.reduce((m, w) => Math.max(m, w.length ? latencyOf(w).p99 : 0), 0),
    restartMs: took.length ? { median: took[Math.floor(took.length / 2)]!, max: took[took.length - 1]! } : undefined,
  };
}
