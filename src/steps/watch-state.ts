import type { Deployment, RolloutProgress } from '../domain/deployment.js';
import type { AnalysisProgress } from '../metrics/analysis.js';
import type { Store } from '../store/store.js';
import type { RevisionTraffic } from '../targets/target.js';
import type { HealthRecord } from './watch-health.js';

/** Bumped when the stored shape changes; a state of another version starts the window again. */
const VERSION = 1;

/** What the watch window measured of one revision so far. */
export interface WindowTotals {
  requests: number;
  failed: number;
  buckets: Record<string, number>;
  /** Times a replica's readiness took it out of the router's rotation during the window. */
  outOfRotation: number;
  /** Restarts of its replicas during the window (a crash, or liveness). */
  restarts: number;
}

/**
 * The watch window of one deployment, kept on its record (RolloutProgress.watch) after every pass.
 * It lives on the deployment rather than as a step checkpoint because it is the deployment's
 * evidence: the counters it is judged against belong to its revision, and a later look at the
 * deployment (or a step of another kind, such as a future canary's analysis steps) reads it there.
 */
export interface WatchState {
  readonly version: typeof VERSION;
  /** When the window began (epoch ms). */
  readonly startedAt: number;
  /** The last pass, and when it asked to be run again. */
  readonly lastAt: number;
  readonly nextAt: number;
  /** Time under watch so far: a gap longer than the pass asked for (the control plane was down) counts only as long as it asked plus one tick. */
  readonly watchedMs: number;
  /** Time watched when the threshold window ended; the analyses may go on longer. */
  readonly windowMs: number | null;
  readonly passes: number;
  /** Passes that came later than asked for plus one tick: the control plane was down (or stalled) in between. */
  readonly resumes: number;
  /** The router's counters of the revision, and its replicas' counts, at the window's start. */
  readonly baseline: { readonly traffic: RevisionTraffic | null; readonly restarts: number; readonly outOfRotation: number };
  readonly totals: WindowTotals;
  readonly health: HealthRecord | null;
  readonly analysis: AnalysisProgress | null;
  /** The last router readings the analysis took, so a new provider measures from them after a restart. */
  readonly readings: ReadonlyArray<{ readonly at: number; readonly traffic: readonly RevisionTraffic[] }>;
}

export const emptyTotals = (): WindowTotals => ({ requests: 0, failed: 0, buckets: {}, outOfRotation: 0, restarts: 0 });

/** The stored window of a deployment, or undefined when it has none yet (or one of another version). */
export function readWatch(d: Deployment): WatchState | undefined {
  const stored = d.progress?.watch;
  // Written only by saveWatch below; the version guards against a shape from another release.
  return stored !== undefined && stored.version === VERSION ? (stored as unknown as WatchState) : undefined;
}

export async function saveWatch(store: Store, d: Deployment, state: WatchState, now: number): Promise<void> {
  const base: RolloutProgress = d.progress ?? { phase: 'switched', stepIndex: 0, weights: {}, since: now };
  await store.deployments.setProgress(d.id, { ...base, watch: state as unknown as Readonly<Record<string, unknown>> });
}

export function startWatch(now: number, baseline: WatchState['baseline']): WatchState {
  return { version: VERSION, startedAt: now, lastAt: now, nextAt: now, watchedMs: 0, windowMs: null, passes: 0, resumes: 0, baseline, totals: emptyTotals(), health: null, analysis: null, readings: [] };
}

/**
 * Counts the time since the last pass as watched, up to what that pass asked for plus one tick: a
 * control plane that was down for a minute has not watched that minute, so the window goes on for
 * what is left of it after the restart (and is not watched again from zero either).
 */
export function credit(state: WatchState, now: number, tickMs: number): { watchedMs: number; resumed: boolean } {
  const gap = Math.max(0, now - state.lastAt);
  const allowed = Math.max(0, state.nextAt - state.lastAt) + tickMs;
  return { watchedMs: state.watchedMs + Math.min(gap, allowed), resumed: gap > allowed };
}
