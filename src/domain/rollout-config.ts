/**
 * The config a deployment records and a strategy or an analysis runs by: how a revision's health is
 * probed, the checks run before it takes users, the strategy and the analysis metrics. Normalised
 * (defaults resolved, durations in ms); src/config parses gantry.yaml into these shapes.
 */

export interface HealthConfig {
  readonly path: string;
  readonly expectStatus: number;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly deadlineMs: number;
  /** Out of the router's rotation after `failureThreshold` failed probes in a row, back after `successThreshold` passes. */
  readonly readiness: { readonly failureThreshold: number; readonly successThreshold: number };
  /** Restarted after `failureThreshold` failed probes of `path` in a row (0: never), once it has been ready. */
  readonly liveness: { readonly path: string; readonly failureThreshold: number };
}

export interface SmokeConfig {
  readonly name: string;
  readonly method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE';
  readonly path: string;
  readonly body: string | undefined;
  readonly expectStatus: number;
  readonly expectBody: string | undefined;
  readonly expectJson: { readonly field: string; readonly equals: string | number | boolean | null } | undefined;
}

export type StrategyConfig =
  | { readonly kind: 'rolling'; readonly maxSurge: number; readonly maxUnavailable: number }
  | { readonly kind: 'blue-green'; readonly scaleDownDelayMs: number; readonly previewPortOffset: number }
  | CanaryConfig;

/**
 * One step of a canary, Argo Rollouts style: send a share of the main route's traffic to the new
 * revision; wait (a set time, or until a person promotes); or run an analysis on the canary's own
 * traffic before going on. Analysis metrics are resolved when the config is read (the step's own,
 * else the environment's watch analysis), so the deployment records exactly what it was judged by.
 */
export type CanaryStep =
  | { readonly setWeight: number }
  | { readonly pause: { readonly durationMs: number | undefined } }
  | { readonly analysis: { readonly metrics: readonly AnalysisMetricConfig[] } };

/** Testers reach the canary by a header or a cookie with this value, whatever the weights. */
export type CanaryMatch = { readonly header: string; readonly value: string } | { readonly cookie: string; readonly value: string };

export interface CanaryConfig {
  readonly kind: 'canary';
  readonly steps: readonly CanaryStep[];
  readonly match: CanaryMatch | undefined;
  /** How long the previous revision keeps running after the canary took all traffic and passed monitoring. */
  readonly scaleDownDelayMs: number;
}

/** One metric of a watch's analysis (src/metrics/analysis.ts runs them). */
export interface AnalysisMetricConfig {
  readonly name: string;
  readonly provider: 'router' | 'prometheus';
  readonly query: string;
  readonly intervalMs: number;
  readonly count: number;
  readonly successCondition: string;
  readonly failureLimit: number;
  readonly inconclusiveLimit: number;
  readonly compare: 'previous' | undefined;
}
