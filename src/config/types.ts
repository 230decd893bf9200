import type { z } from 'zod';
import type { AnalysisMetricConfig, HealthConfig, SmokeConfig, StrategyConfig } from '../domain/rollout-config.js';
import type { GitHubSpec, NotificationsSpec } from './schema.js';

// The parts of a service's and an environment's config that a deployment records and a strategy reads live in the domain.
export type { AnalysisMetricConfig, HealthConfig, SmokeConfig, StrategyConfig } from '../domain/rollout-config.js';

export type NotificationsConfig = z.output<typeof NotificationsSpec>;
export type GitHubConfig = z.output<typeof GitHubSpec>;

/**
 * The normalised config: every default resolved, durations in milliseconds, deeply frozen.
 * The engine and steps read only this shape, never the raw YAML.
 */

export interface CoverageConfig {
  readonly file: string;
  readonly format: 'istanbul' | 'lcov' | 'cobertura' | 'jacoco';
  readonly minimum: number;
}

export interface GateConfig {
  readonly name: string;
  readonly run: string;
  readonly timeoutMs: number;
  readonly retries: number;
  readonly env: Readonly<Record<string, string>>;
  readonly junit: string | undefined;
  readonly coverage: CoverageConfig | undefined;
}

export interface ServiceConfig {
  readonly name: string;
  readonly path: string;
  readonly watch: readonly string[];
  readonly gates: readonly GateConfig[];
  readonly build: { readonly run: string; readonly output: string; readonly timeoutMs: number } | undefined;
  /** maxConnections: per route of the local target's agent; undefined: the agent derives it from its file limit. */
  readonly run: { readonly command: string; readonly port: number; readonly maxConnections: number | undefined } | undefined;
  readonly replicas: number;
  readonly health: HealthConfig;
  readonly smoke: readonly SmokeConfig[];
  readonly secrets: readonly string[];
  readonly env: Readonly<Record<string, string>>;
}

export type VerifyConfig =
  | { readonly kind: 'health' }
  | { readonly kind: 'smoke' }
  | { readonly kind: 'integration'; readonly run: string; readonly timeoutMs: number }
  | {
      readonly kind: 'load';
      readonly service: string;
      readonly path: string;
      readonly durationMs: number;
      readonly connections: number;
      readonly rate: number | undefined;
      readonly maxP95Ms: number | undefined;
      readonly maxP99Ms: number | undefined;
      readonly maxErrorRate: number | undefined;
      readonly minRps: number | undefined;
      readonly maxP99Increase: number | undefined;
      readonly maxRpsDecrease: number | undefined;
    };

/** How the watch judges a service: by its own traffic, or (for a service users never call) by its health. */
export type WatchBasis = 'traffic' | 'health';

export interface WatchConfig {
  readonly durationMs: number;
  readonly maxErrorRate: number;
  readonly maxP99Ms: number | undefined;
  readonly onInconclusive: 'fail' | 'pause';
  /** Empty when the watch has no analysis (only the router thresholds above). */
  readonly analysis: readonly AnalysisMetricConfig[];
  /** Only the services gantry.yaml names; the others are judged by their traffic. */
  readonly services: Readonly<Record<string, { readonly basis: WatchBasis }>>;
}

export interface EnvironmentConfig {
  readonly name: string;
  readonly branch: string;
  readonly target: string;
  readonly strategy: StrategyConfig;
  readonly autoDeploy: boolean;
  readonly portOffset: number;
  readonly services: readonly string[];
  readonly requires: string | undefined;
  readonly approvals: { readonly required: number; readonly approvers: readonly string[]; readonly timeoutMs: number };
  readonly confirmation: string | undefined;
  readonly backup: { readonly retentionMs: number } | undefined;
  readonly verify: readonly VerifyConfig[];
  readonly watch: WatchConfig | undefined;
  readonly secrets: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly tag: boolean;
}

export type TargetConfig =
  | { readonly name: string; readonly kind: 'local'; readonly socket: string | undefined; readonly port: number | undefined; readonly tokenSecret: string | undefined }
  | { readonly name: string; readonly kind: 'kubernetes'; readonly context: string | undefined; readonly namespace: string };

export interface ProtectionConfig {
  readonly requiredApprovals: number;
  readonly requiredChecks: readonly string[];
  readonly upToDate: boolean;
  readonly conversationsResolved: boolean;
  readonly signedCommits: boolean;
  readonly allowDirectPush: boolean;
  readonly allowForcePush: boolean;
}

/** An approver group: its members listed in gantry.yaml, or a GitHub team read when someone approves. */
export type GroupConfig = { readonly kind: 'users'; readonly users: readonly string[] } | { readonly kind: 'github-team'; readonly org: string; readonly slug: string };

export type AuditSeverity = 'low' | 'moderate' | 'high' | 'critical';

export interface ScanConfig {
  readonly secrets: boolean;
  readonly audit: { readonly severity: AuditSeverity; readonly command: string | undefined };
}

export interface GantryConfig {
  readonly version: 1;
  readonly project: { readonly name: string; readonly description: string | undefined };
  readonly repository: {
    readonly url: string;
    readonly defaultBranch: string;
    readonly pollMs: number;
    readonly sharedPaths: readonly string[];
  };
  readonly ci: { readonly concurrency: number; readonly coverageMinimum: number };
  readonly services: Readonly<Record<string, ServiceConfig>>;
  readonly environments: Readonly<Record<string, EnvironmentConfig>>;
  readonly targets: Readonly<Record<string, TargetConfig>>;
  readonly branches: Readonly<Record<string, { readonly protection: ProtectionConfig }>>;
  /** Approver groups by name (without the @); empty when gantry.yaml has no `groups:`. */
  readonly groups: Readonly<Record<string, GroupConfig>>;
  /** Trusted signing keys for `signedCommits` (empty lists when gantry.yaml has no `signing:`). */
  readonly signing: { readonly trustedKeys: { readonly gpg: readonly string[]; readonly ssh: readonly string[] } };
  /** Kept as parsed: the notify adapters own their normalisation. */
  readonly notifications: NotificationsConfig | undefined;
  readonly prometheus: { readonly url: string; readonly timeoutMs: number } | undefined;
  /** Kept as parsed: the webhook route and `gantry github protect` read it. */
  readonly github: GitHubConfig | undefined;
  readonly scan: ScanConfig;
}
