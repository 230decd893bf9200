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
  readonly run: { readonly command: string; readonly port: number; readonly maxConnections: number | undefined; readonly limits: LimitsConfig } | undefined;
  readonly replicas: number;
  readonly health: HealthConfig;
  readonly smoke: readonly SmokeConfig[];
  readonly secrets: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  /** The container image built once per release beside the bundle; undefined: the service has no image. */
  readonly image: ImageConfig | undefined;
}

/** Resource limits of each replica; the docker target enforces them, the local target has none to enforce. */
export interface LimitsConfig {
  readonly cpus: number | undefined;
  readonly memoryBytes: number | undefined;
}

/** How a service's image is made: assembled on a base image by Gantry, or built from a Dockerfile by the engine. */
export type ImageBuildConfig =
  | { readonly kind: 'assemble'; readonly base: string; readonly workdir: string }
  | { readonly kind: 'dockerfile'; readonly dockerfile: string; readonly context: string; readonly target: string | undefined; readonly buildArgs: Readonly<Record<string, string>> };

export interface ImageConfig {
  /** Name of the registry in `registries` builds push to. */
  readonly registry: string;
  readonly repository: string;
  readonly build: ImageBuildConfig;
}

export interface RegistryConfig {
  readonly name: string;
  /** host[:port], as image references name it. */
  readonly url: string;
  /** Plain HTTP: a loopback registry, or one marked insecure. */
  readonly plainHttp: boolean;
  readonly username: string | undefined;
  readonly passwordSecret: string | undefined;
}

export type ScanSeverity = 'low' | 'medium' | 'high' | 'critical';

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
    }
  | ChaosCheckConfig;

/** A chaos check (docs/verification.md): faults on `service`'s main route while the check drives load through it. */
export interface ChaosCheckConfig {
  readonly kind: 'chaos';
  /** The service whose route gets the faults and the load. */
  readonly service: string;
  readonly durationMs: number;
  readonly faults: {
    readonly latency?: { readonly ms: number; readonly share: number };
    readonly abort?: { readonly status: number; readonly share: number };
    readonly reset?: { readonly share: number };
  };
  readonly killReplica: boolean;
  readonly path: string;
  readonly rate: number | undefined;
  readonly connections: number;
  readonly maxErrorRate: number | undefined;
  readonly maxP99Ms: number | undefined;
  /** hold: the thresholds must hold; rollback: they are expected to break and the run to roll back. */
  readonly expect: 'hold' | 'rollback';
}

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

/** An environment's `router:`; templates keep {environment} and {service} (filled in per service). */
export type RouterConfig = { readonly kind: 'builtin' } | HaproxyRouterConfig;

export interface HaproxyRouterConfig {
  readonly kind: 'haproxy';
  /** host:port or a unix socket path. */
  readonly runtimeApi: string;
  readonly backend: string;
  readonly url: string;
  readonly matchBackend: string | undefined;
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
  /** The registry this environment pulls images from (a name in `registries`); undefined when no registry is declared. */
  readonly registry: string | undefined;
  readonly imageScan: { readonly failOn: ScanSeverity; readonly ignore: readonly string[] } | undefined;
  /** Whether chaos checks may inject faults here (`chaos.allowed`, default false). */
  readonly chaos: { readonly allowed: boolean };
  /** What applies the main route's weights: the target's own router, or HAProxy (docs/routers.md). */
  readonly router: RouterConfig;
  /** Empty without regions; with regions, `target` is the first region's (see config/environment-placements.ts). */
  readonly regions: readonly RegionConfig[];
  /** The regions' names by wave, in order; empty without regions. */
  readonly waves: readonly (readonly string[])[];
  readonly onFailure: 'rollback-all' | 'stop';
}

/** One region of an environment: a target of its own, with its own port offset on top of the environment's. */
export interface RegionConfig {
  readonly name: string;
  readonly target: string;
  readonly portOffset: number;
}

export interface DockerHostConfig {
  readonly name: string;
  /** host:port of the agent's TLS control API. */
  readonly address: string;
  readonly tokenSecret: string;
}

export interface DockerTargetConfig {
  readonly name: string;
  readonly kind: 'docker';
  /** The engine of the agent Gantry starts on this machine (no hosts); undefined: DOCKER_HOST or /var/run/docker.sock. */
  readonly engine: string | undefined;
  readonly network: 'auto' | 'host' | 'bridge';
  readonly port: number | undefined;
  /** Empty: one agent on this machine, started by Gantry. */
  readonly hosts: readonly DockerHostConfig[];
  readonly boot: number;
  readonly bootTimeoutMs: number | undefined;
  readonly endpoint: string | undefined;
}

/** How a kubernetes target reaches its cluster: a kubeconfig, or a server with a service-account token; each a secret of the environment. */
export type KubernetesCredentials =
  | { readonly kind: 'kubeconfig'; readonly secret: string; readonly context: string | undefined }
  | { readonly kind: 'token'; readonly server: string; readonly tokenSecret: string; readonly caSecret: string | undefined };

export interface KubernetesTargetConfig {
  readonly name: string;
  readonly kind: 'kubernetes';
  readonly namespace: string;
  /** Undefined only in a file validation refuses (neither kubeconfigSecret nor server + tokenSecret). */
  readonly credentials: KubernetesCredentials | undefined;
  readonly serviceType: 'ClusterIP' | 'NodePort' | 'LoadBalancer';
  /** URL template with {service}, {route}, {environment}; undefined: a LoadBalancer's address, else cluster-internal. */
  readonly endpoint: string | undefined;
  readonly progressDeadlineMs: number;
}

export type TargetConfig =
  | { readonly name: string; readonly kind: 'local'; readonly socket: string | undefined; readonly port: number | undefined; readonly tokenSecret: string | undefined }
  | KubernetesTargetConfig
  | DockerTargetConfig;

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
  readonly registries: Readonly<Record<string, RegistryConfig>>;
  /** The scanner command images are checked with before an environment with imageScan. */
  readonly images: { readonly scanner: { readonly command: string; readonly timeoutMs: number } | undefined; readonly engine: string | undefined };
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
