import { parseDuration } from './duration.js';
import { parseMemorySize } from './memory-size.js';
import { normalizeRegions } from './normalize-regions.js';
import type { EnvironmentInput, GantryConfigParsed, GateInput, ServiceInput } from './schema.js';
import { DEFAULT_PROMETHEUS_TIMEOUT_MS } from '../metrics/providers/prometheus-defaults.js';
import type { AnalysisMetricConfig, CanaryStep } from '../domain/rollout-config.js';
import type {
  CoverageConfig,
  EnvironmentConfig,
  GantryConfig,
  GateConfig,
  GroupConfig,
  ImageBuildConfig,
  ImageConfig,
  RegistryConfig,
  RouterConfig,
  ServiceConfig,
  StrategyConfig,
  KubernetesCredentials,
  TargetConfig,
  VerifyConfig,
} from './types.js';

export const DEFAULT_POLL_MS = 5_000;
export const DEFAULT_BRANCH = 'main';
export const DEFAULT_CI_CONCURRENCY = 4;
export const DEFAULT_COVERAGE_MINIMUM = 70;
export const DEFAULT_GATE_TIMEOUT_MS = 10 * 60_000;
export const DEFAULT_BUILD_TIMEOUT_MS = 15 * 60_000;
export const DEFAULT_IMAGE_WORKDIR = '/app';
export const DEFAULT_SCANNER_TIMEOUT_MS = 10 * 60_000;
export const DEFAULT_HEALTH = { path: '/healthz', expectStatus: 200, intervalMs: 1_000, timeoutMs: 2_000, deadlineMs: 60_000 } as const;
/** Kubernetes' own defaults for a readiness probe. */
export const DEFAULT_READINESS = { failureThreshold: 3, successThreshold: 1 } as const;
/**
 * How long liveness probes must fail in a row before a restart, by default: Kubernetes' own default
 * (3 failures 10 s apart). Well past readiness, so a replica is first taken out of rotation and given
 * time to recover, and a deploy's own health check fails a bad release before a restart hides it.
 */
export const DEFAULT_LIVENESS_AFTER_MS = 30_000;

/** The default liveness count: as many probes as fill DEFAULT_LIVENESS_AFTER_MS at the service's interval (at least 3). */
export const defaultLivenessFailures = (intervalMs: number): number => Math.max(3, Math.ceil(DEFAULT_LIVENESS_AFTER_MS / Math.max(1, intervalMs)));
export const DEFAULT_SCALE_DOWN_DELAY_MS = 30_000;
export const DEFAULT_PREVIEW_PORT_OFFSET = 10_000;
export const DEFAULT_INTEGRATION_TIMEOUT_MS = 10 * 60_000;
export const DEFAULT_LOAD = { path: '/', durationMs: 10_000, connections: 10 } as const;
export const DEFAULT_CHAOS_DURATION_MS = 20_000;
export const DEFAULT_TARGET = 'local';
export const DEFAULT_APPROVAL_TIMEOUT_MS = 24 * 3_600_000;
/** As in Argo Rollouts: one failed (or one inconclusive) measurement decides the metric. */
export const DEFAULT_FAILURE_LIMIT = 0;
export const DEFAULT_INCONCLUSIVE_LIMIT = 0;
export const DEFAULT_SCAN_SECRETS = true;
export const DEFAULT_AUDIT_SEVERITY = 'critical';

const ms = (value: number | string | undefined, fallback: number): number => (value === undefined ? fallback : parseDuration(value));
const msOrUndefined = (value: number | string | undefined): number | undefined => (value === undefined ? undefined : parseDuration(value));

function guessCoverageFormat(file: string): CoverageConfig['format'] {
  if (file.endsWith('.info')) return 'lcov';
  if (file.endsWith('.json')) return 'istanbul';
  if (/jacoco/i.test(file)) return 'jacoco';
  return 'cobertura';
}

function normalizeGate(gate: GateInput, coverageMinimum: number): GateConfig {
  return {
    name: gate.name,
    run: gate.run,
    timeoutMs: ms(gate.timeout, DEFAULT_GATE_TIMEOUT_MS),
    retries: gate.retries ?? 0,
    env: gate.env ?? {},
    junit: gate.junit,
    coverage: gate.coverage && {
      file: gate.coverage.file,
      format: gate.coverage.format ?? guessCoverageFormat(gate.coverage.file),
      minimum: gate.coverage.minimum ?? coverageMinimum,
    },
  };
}

/** The registry builds push to: images.registry, else the only one declared ('' when none: a rule reports it). */
function buildRegistry(parsed: GantryConfigParsed): string {
  const names = Object.keys(parsed.registries ?? {});
  return parsed.images?.registry ?? (names.length === 1 ? (names[0] ?? '') : '');
}

function normalizeImage(parsed: GantryConfigParsed, service: string, image: NonNullable<ServiceInput['image']>): ImageConfig {
  const build: ImageBuildConfig =
    image.dockerfile !== undefined
      ? { kind: 'dockerfile', dockerfile: image.dockerfile, context: image.context ?? '.', target: image.target, buildArgs: image.buildArgs ?? {} }
      : { kind: 'assemble', base: image.base ?? '', workdir: image.workdir ?? DEFAULT_IMAGE_WORKDIR };
  return { registry: image.registry ?? buildRegistry(parsed), repository: image.repository ?? `${parsed.project.name}/${service}`, build };
}

function normalizeService(name: string, s: ServiceInput, coverageMinimum: number, parsed: GantryConfigParsed): ServiceConfig {
  return {
    name,
    path: s.path.replace(/\/+$/, ''),
    watch: s.watch ?? [],
    gates: (s.gates ?? []).map((g) => normalizeGate(g, coverageMinimum)),
    build: s.build && { run: s.build.run, output: s.build.output, timeoutMs: ms(s.build.timeout, DEFAULT_BUILD_TIMEOUT_MS) },
    run: s.run && {
      command: s.run.command,
      port: s.run.port,
      maxConnections: s.run.maxConnections,
      limits: { cpus: s.run.limits?.cpus, memoryBytes: s.run.limits?.memory === undefined ? undefined : parseMemorySize(s.run.limits.memory) },
    },
    image: s.image && normalizeImage(parsed, name, s.image),
    replicas: s.replicas ?? 1,
    health: {
      path: s.health?.path ?? DEFAULT_HEALTH.path,
      expectStatus: s.health?.expectStatus ?? DEFAULT_HEALTH.expectStatus,
      intervalMs: ms(s.health?.interval, DEFAULT_HEALTH.intervalMs),
      timeoutMs: ms(s.health?.timeout, DEFAULT_HEALTH.timeoutMs),
      deadlineMs: ms(s.health?.deadline, DEFAULT_HEALTH.deadlineMs),
      readiness: {
        failureThreshold: s.health?.readiness?.failureThreshold ?? DEFAULT_READINESS.failureThreshold,
        successThreshold: s.health?.readiness?.successThreshold ?? DEFAULT_READINESS.successThreshold,
      },
      liveness: { path: s.health?.liveness?.path ?? s.health?.path ?? DEFAULT_HEALTH.path, failureThreshold: s.health?.liveness?.failureThreshold ?? defaultLivenessFailures(ms(s.health?.interval, DEFAULT_HEALTH.intervalMs)) },
    },
    smoke: (s.smoke ?? []).map((t) => ({
      name: t.name,
      method: t.method ?? 'GET',
      path: t.path,
      body: t.body,
      expectStatus: t.expectStatus ?? 200,
      expectBody: t.expectBody,
      expectJson: t.expectJson,
    })),
    secrets: s.secrets ?? [],
    env: s.env ?? {},
  };
}

function normalizeStrategy(strategy: EnvironmentInput['strategy'], watchAnalysis: readonly AnalysisMetricConfig[]): StrategyConfig {
  const kind = typeof strategy === 'string' ? strategy : (strategy?.kind ?? 'rolling');
  const spec = typeof strategy === 'object' ? strategy : undefined;
  if (spec?.kind === 'canary') {
    const steps = spec.steps.map((step): CanaryStep => {
      if ('setWeight' in step) return { setWeight: step.setWeight };
      if ('pause' in step) return { pause: { durationMs: msOrUndefined(step.pause.duration) } };
      return { analysis: { metrics: step.analysis.metrics?.map(normalizeMetric) ?? watchAnalysis } };
    });
    return { kind: 'canary', steps, match: spec.match, scaleDownDelayMs: ms(spec.scaleDownDelay, DEFAULT_SCALE_DOWN_DELAY_MS) };
  }
  if (kind === 'blue-green') {
    const bg = spec?.kind === 'blue-green' ? spec : undefined;
    return {
      kind,
      scaleDownDelayMs: ms(bg?.scaleDownDelay, DEFAULT_SCALE_DOWN_DELAY_MS),
      previewPortOffset: bg?.previewPortOffset ?? DEFAULT_PREVIEW_PORT_OFFSET,
    };
  }
  const rolling = spec?.kind === 'rolling' ? spec : undefined;
  return { kind: 'rolling', maxSurge: rolling?.maxSurge ?? 1, maxUnavailable: rolling?.maxUnavailable ?? 0 };
}

function normalizeMetric(m: NonNullable<NonNullable<EnvironmentInput['watch']>['analysis']>[number]): AnalysisMetricConfig {
  return {
    name: m.name,
    provider: m.provider,
    query: m.query,
    intervalMs: parseDuration(m.interval),
    count: m.count,
    successCondition: m.successCondition,
    failureLimit: m.failureLimit ?? DEFAULT_FAILURE_LIMIT,
    inconclusiveLimit: m.inconclusiveLimit ?? DEFAULT_INCONCLUSIVE_LIMIT,
    compare: m.compare,
  };
}

function normalizeVerify(v: NonNullable<EnvironmentInput['verify']>[number]): VerifyConfig {
  switch (v.kind) {
    case 'health':
    case 'smoke':
      return { kind: v.kind };
    case 'integration':
      return { kind: 'integration', run: v.run, timeoutMs: ms(v.timeout, DEFAULT_INTEGRATION_TIMEOUT_MS) };
    case 'load':
      return {
        kind: 'load',
        service: v.service,
        path: v.path ?? DEFAULT_LOAD.path,
        durationMs: ms(v.duration, DEFAULT_LOAD.durationMs),
        connections: v.connections ?? DEFAULT_LOAD.connections,
        rate: v.rate,
        maxP95Ms: msOrUndefined(v.maxP95),
        maxP99Ms: msOrUndefined(v.maxP99),
        maxErrorRate: v.maxErrorRate,
        minRps: v.minRps,
        maxP99Increase: v.maxP99Increase,
        maxRpsDecrease: v.maxRpsDecrease,
      };
    case 'chaos':
      return {
        kind: 'chaos',
        service: v.load.service,
        durationMs: ms(v.duration, DEFAULT_CHAOS_DURATION_MS),
        faults: { ...(v.faults.latency ? { latency: v.faults.latency } : {}), ...(v.faults.abort ? { abort: v.faults.abort } : {}), ...(v.faults.reset ? { reset: v.faults.reset } : {}) },
        killReplica: v.faults.killReplica ?? false,
        path: v.load.path ?? DEFAULT_LOAD.path,
        rate: v.load.rate,
        connections: v.load.connections ?? DEFAULT_LOAD.connections,
        maxErrorRate: v.maxErrorRate,
        maxP99Ms: msOrUndefined(v.maxP99),
        expect: v.expect ?? 'hold',
      };
  }
}

/** The backend a service's servers go in when router.backend is not set. */
export const DEFAULT_HAPROXY_BACKEND = '{environment}_{service}';

function normalizeRouter(r: EnvironmentInput['router']): RouterConfig {
  if (r === undefined || r === 'builtin' || r.kind === 'builtin') return { kind: 'builtin' };
  return { kind: 'haproxy', runtimeApi: r.runtimeApi, backend: r.backend ?? DEFAULT_HAPROXY_BACKEND, url: r.url, matchBackend: r.matchBackend };
}

function normalizeEnvironment(name: string, e: EnvironmentInput, services: Record<string, ServiceConfig>, parsed: GantryConfigParsed): EnvironmentConfig {
  return {
    name,
    branch: e.branch,
    target: e.target ?? Object.values(e.regions ?? {})[0]?.target ?? DEFAULT_TARGET,
    strategy: normalizeStrategy(e.strategy, (e.watch?.analysis ?? []).map(normalizeMetric)),
    autoDeploy: e.autoDeploy ?? true,
    portOffset: e.portOffset ?? 0,
    services: e.services ?? Object.values(services).filter((s) => s.run !== undefined).map((s) => s.name),
    requires: e.requires,
    approvals: { required: e.approvals?.required ?? 0, approvers: e.approvals?.approvers ?? [], timeoutMs: ms(e.approvals?.timeout, DEFAULT_APPROVAL_TIMEOUT_MS) },
    confirmation: e.confirmation,
    backup: e.backup && { retentionMs: parseDuration(e.backup.retention) },
    verify: (e.verify ?? []).map(normalizeVerify),
    watch: e.watch && {
      durationMs: parseDuration(e.watch.duration),
      maxErrorRate: e.watch.maxErrorRate ?? 0.01,
      maxP99Ms: msOrUndefined(e.watch.maxP99),
      onInconclusive: e.watch.onInconclusive ?? 'fail',
      analysis: (e.watch.analysis ?? []).map(normalizeMetric),
      services: e.watch.services ?? {},
    },
    secrets: e.secrets ?? [],
    env: e.env ?? {},
    tag: e.tag ?? false,
    registry: e.registry ?? (buildRegistry(parsed) || undefined),
    imageScan: e.imageScan && { failOn: e.imageScan.failOn, ignore: e.imageScan.ignore ?? [] },
    router: normalizeRouter(e.router),
    chaos: { allowed: e.chaos?.allowed ?? false },
    ...normalizeRegions(e),
  };
}

/** Kubernetes' own default progressDeadlineSeconds (600). */
const DEFAULT_PROGRESS_DEADLINE_MS = 600_000;

function kubernetesCredentials(t: { kubeconfigSecret?: string | undefined; context?: string | undefined; server?: string | undefined; tokenSecret?: string | undefined; caSecret?: string | undefined }): KubernetesCredentials | undefined {
  if (t.kubeconfigSecret !== undefined) return { kind: 'kubeconfig', secret: t.kubeconfigSecret, context: t.context };
  if (t.server !== undefined && t.tokenSecret !== undefined) return { kind: 'token', server: t.server, tokenSecret: t.tokenSecret, caSecret: t.caSecret };
  return undefined;
}

function normalizeTarget(name: string, t: NonNullable<GantryConfigParsed['targets']>[string]): TargetConfig {
  switch (t.kind) {
    case 'local':
      return { name, kind: 'local', socket: t.socket, port: t.port, tokenSecret: t.tokenSecret };
    case 'kubernetes':
      return {
        name,
        kind: 'kubernetes',
        namespace: t.namespace,
        credentials: kubernetesCredentials(t),
        serviceType: t.serviceType ?? 'ClusterIP',
        endpoint: t.endpoint,
        progressDeadlineMs: t.progressDeadline === undefined ? DEFAULT_PROGRESS_DEADLINE_MS : parseDuration(t.progressDeadline),
      };
    case 'docker':
      return {
        name,
        kind: 'docker',
        engine: t.engine,
        network: t.network ?? 'auto',
        port: t.port,
        hosts: (t.hosts ?? []).map((h) => ({ name: h.name, address: h.address, tokenSecret: h.tokenSecret })),
        boot: t.boot ?? 1,
        bootTimeoutMs: msOrUndefined(t.bootTimeout),
        endpoint: t.endpoint,
      };
  }
}

/** Loopback registries speak plain HTTP (as a Docker engine allows them to); others HTTPS unless marked insecure. */
function isLoopbackHost(url: string): boolean {
  const host = url.replace(/:\d+$/, '');
  return host === 'localhost' || host.startsWith('127.') || host === '[::1]';
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** Resolves every default of a structurally valid config. Pure; the result is deeply frozen. */
export function normalizeConfig(parsed: GantryConfigParsed): GantryConfig {
  const coverageMinimum = parsed.ci?.coverageMinimum ?? DEFAULT_COVERAGE_MINIMUM;
  const services: Record<string, ServiceConfig> = {};
  for (const [name, spec] of Object.entries(parsed.services)) services[name] = normalizeService(name, spec, coverageMinimum, parsed);
  const environments: Record<string, EnvironmentConfig> = {};
  for (const [name, spec] of Object.entries(parsed.environments ?? {})) environments[name] = normalizeEnvironment(name, spec, services, parsed);
  const targets: Record<string, TargetConfig> = { [DEFAULT_TARGET]: { name: DEFAULT_TARGET, kind: 'local', socket: undefined, port: undefined, tokenSecret: undefined } };
  for (const [name, t] of Object.entries(parsed.targets ?? {})) targets[name] = normalizeTarget(name, t);
  const registries: Record<string, RegistryConfig> = {};
  for (const [name, r] of Object.entries(parsed.registries ?? {})) {
    registries[name] = { name, url: r.url, plainHttp: r.insecure === true || isLoopbackHost(r.url), username: r.username, passwordSecret: r.passwordSecret };
  }
  const branches: GantryConfig['branches'] = Object.fromEntries(
    Object.entries(parsed.branches ?? {}).map(([pattern, b]) => [
      pattern,
      {
        protection: {
          requiredApprovals: b.protection.requiredApprovals ?? 0,
          requiredChecks: b.protection.requiredChecks ?? [],
          upToDate: b.protection.upToDate ?? false,
          conversationsResolved: b.protection.conversationsResolved ?? false,
          signedCommits: b.protection.signedCommits ?? false,
          allowDirectPush: b.protection.allowDirectPush ?? true,
          allowForcePush: b.protection.allowForcePush ?? false,
        },
      },
    ]),
  );
  const owner = parsed.github?.repo.split('/')[0] ?? '';
  const groups: Record<string, GroupConfig> = {};
  for (const [name, g] of Object.entries(parsed.groups ?? {})) {
    if (Array.isArray(g)) groups[name] = { kind: 'users', users: [...new Set(g)] };
    else {
      const [org, slug] = g.githubTeam.includes('/') ? g.githubTeam.split('/') : [owner, g.githubTeam];
      groups[name] = { kind: 'github-team', org: org ?? owner, slug: slug ?? g.githubTeam };
    }
  }
  return deepFreeze({
    version: 1,
    project: { name: parsed.project.name, description: parsed.project.description },
    repository: {
      url: parsed.repository.url,
      defaultBranch: parsed.repository.defaultBranch ?? DEFAULT_BRANCH,
      pollMs: ms(parsed.repository.poll, DEFAULT_POLL_MS),
      sharedPaths: parsed.repository.sharedPaths ?? [],
    },
    ci: { concurrency: parsed.ci?.concurrency ?? DEFAULT_CI_CONCURRENCY, coverageMinimum },
    services,
    environments,
    targets,
    registries,
    images: { engine: parsed.images?.engine, scanner: parsed.images?.scanner && { command: parsed.images.scanner.command, timeoutMs: ms(parsed.images.scanner.timeout, DEFAULT_SCANNER_TIMEOUT_MS) } },
    branches,
    groups,
    signing: { trustedKeys: { gpg: parsed.signing?.trustedKeys.gpg ?? [], ssh: parsed.signing?.trustedKeys.ssh ?? [] } },
    notifications: parsed.notifications,
    github: parsed.github,
    prometheus: parsed.prometheus && { url: parsed.prometheus.url, timeoutMs: ms(parsed.prometheus.timeout, DEFAULT_PROMETHEUS_TIMEOUT_MS) },
    scan: {
      secrets: parsed.scan?.secrets ?? DEFAULT_SCAN_SECRETS,
      audit: { severity: parsed.scan?.audit?.severity ?? DEFAULT_AUDIT_SEVERITY, command: parsed.scan?.audit?.command },
    },
  });
}
