import type { EnvironmentConfig, GantryConfig, HealthConfig, ServiceConfig, SmokeConfig, StrategyConfig, VerifyConfig, WatchConfig } from '../config/types.js';
import type { PlannedStep } from '../domain/run.js';

export type BuildStepSpec = {
  readonly service: string;
  readonly servicePath: string;
  readonly treeKey: string;
  readonly build: ServiceConfig['build'];
  /** Redeploy of an earlier release: its artifacts must already exist; nothing is built. */
  readonly mustExist: boolean;
  readonly timeoutMs: number;
};

export type ProtectionStepSpec = {
  readonly branch: string;
  /** How long to wait for the webhook's verdict on the pushed commit. */
  readonly waitMs: number;
  readonly timeoutMs: number;
};

export type PromotionStepSpec = {
  readonly environment: string;
  readonly requires: string;
  readonly services: readonly string[];
  readonly override: { readonly by: string; readonly reason: string } | null;
};

export type ApprovalStepSpec = {
  readonly environment: string;
  readonly required: number;
  readonly approvers: readonly string[];
  readonly confirmation: string | null;
  /** How long to wait for the approvals, from when they were first asked for. */
  readonly waitMs: number;
  readonly timeoutMs: number;
};

export type DeployStepSpec = {
  readonly environment: string;
  readonly target: string;
  readonly service: string;
  readonly strategy: StrategyConfig;
  readonly command: string;
  readonly env: Readonly<Record<string, string>>;
  readonly secrets: readonly string[];
  readonly replicas: number;
  readonly health: HealthConfig;
  readonly smoke: readonly SmokeConfig[];
  readonly timeoutMs: number;
  /** A rollback deploys an earlier release's artifact instead of the run's own. */
  readonly pinnedArtifact?: {
    readonly release: string;
    readonly releaseId: number;
    readonly digest: string;
    readonly reason: string;
    /** The deployment gone back to: the new revision copies its recorded spec, strategy and target (absent in plans made before they were recorded). */
    readonly sourceDeployment?: number;
  };
};

export type VerifyStepSpec = {
  readonly environment: string;
  readonly target: string;
  readonly services: ReadonlyArray<{ readonly name: string; readonly health: HealthConfig; readonly smoke: readonly SmokeConfig[] }>;
  readonly checks: readonly VerifyConfig[];
  readonly timeoutMs: number;
};

export type WatchStepSpec = {
  readonly environment: string;
  readonly target: string;
  readonly services: readonly string[];
  readonly watch: WatchConfig;
  /** Where PromQL metrics of the analysis go (gantry.yaml's top-level `prometheus`). */
  readonly prometheus: GantryConfig['prometheus'];
  readonly timeoutMs: number;
};

export type FinalizeStepSpec = {
  readonly environment: string;
  readonly target: string;
  readonly services: readonly string[];
  readonly tag: boolean;
  /** Production artifacts get immutable tags. */
  readonly immutableTags: boolean;
  readonly timeoutMs: number;
};

export type BackupStepSpec = {
  readonly environment: string;
  readonly target: string;
  readonly services: readonly string[];
  readonly retentionMs: number;
  readonly timeoutMs: number;
};

export type RollbackStepSpec = {
  readonly environment: string;
  readonly target: string;
  readonly timeoutMs: number;
};

export interface DeployPlanInput {
  readonly config: GantryConfig;
  readonly environment: EnvironmentConfig;
  readonly serviceTrees: Readonly<Record<string, string>>;
  /** Key of each service's last gate step in this plan, if it has one. */
  readonly lastGate: Readonly<Record<string, string>>;
  readonly mustExist: boolean;
  readonly overridePromotion: { readonly by: string; readonly reason: string } | null;
  /** A push to a protected branch of a GitHub repository: deploy only once GitHub's webhook vouched for it. */
  readonly protection?: ProtectionStepSpec | null;
  readonly productionLike: boolean;
}

const MINUTE = 60_000;
const BUILD_STEP_EXTRA_MS = MINUTE;

/**
 * The steps that take a release to an environment, after CI: build once (or reuse), promotion policy,
 * approvals, the environment lock, one deploy step per service in order, verification, the watch
 * window, finalisation — and a rollback step that runs only when one of them failed, so an
 * environment never ends half on the new release.
 */
export function planDeploy(input: DeployPlanInput): PlannedStep[] {
  const { config, environment: env } = input;
  const services = env.services.filter((name) => config.services[name]?.run !== undefined);
  const steps: PlannedStep[] = [];
  const builds: string[] = [];
  for (const name of services) {
    const service = config.services[name];
    if (!service) continue;
    const key = `build:${name}`;
    const spec: BuildStepSpec = {
      service: name,
      servicePath: service.path,
      treeKey: input.serviceTrees[name] ?? 'unknown',
      build: service.build,
      mustExist: input.mustExist,
      timeoutMs: (service.build?.timeoutMs ?? 0) + BUILD_STEP_EXTRA_MS,
    };
    const gate = input.lastGate[name];
    steps.push({ key, kind: 'build', name: `build ${name}`, service: name, needs: gate ? [gate] : [], spec, maxAttempts: 1 });
    builds.push(key);
  }
  let before = builds;
  if (input.protection) {
    // Needs nothing: GitHub's verdict is awaited while CI runs, and a refusal fails the run before
    // anything is promoted, approved, locked or deployed.
    const key = `protection:${input.protection.branch}`;
    steps.push({ key, kind: 'protection', name: `branch protection (${input.protection.branch})`, environment: env.name, needs: [], spec: input.protection, maxAttempts: 1 });
    before = [...builds, key];
  }
  if (env.requires) {
    const spec: PromotionStepSpec = { environment: env.name, requires: env.requires, services, override: input.overridePromotion };
    steps.push({ key: `promotion:${env.name}`, kind: 'promotion', name: `promotion ${env.requires} → ${env.name}`, environment: env.name, needs: before, spec, maxAttempts: 1 });
    before = [`promotion:${env.name}`];
  }
  if (env.approvals.required > 0) {
    const spec: ApprovalStepSpec = {
      environment: env.name,
      required: env.approvals.required,
      approvers: env.approvals.approvers,
      confirmation: env.confirmation ?? null,
      waitMs: env.approvals.timeoutMs,
      timeoutMs: 60_000,
    };
    steps.push({ key: `approval:${env.name}`, kind: 'approval', name: `approval ${env.name} (${env.approvals.required})`, environment: env.name, needs: before, spec, maxAttempts: 1 });
    before = [`approval:${env.name}`];
  }
  steps.push({ key: `lock:${env.name}`, kind: 'environment-lock', name: `lock ${env.name}`, environment: env.name, needs: before, spec: { environment: env.name, timeoutMs: 24 * 60 * MINUTE }, maxAttempts: 1 });
  let after = `lock:${env.name}`;
  if (env.backup) {
    const backup: BackupStepSpec = { environment: env.name, target: env.target, services, retentionMs: env.backup.retentionMs, timeoutMs: 5 * MINUTE };
    steps.push({ key: `backup:${env.name}`, kind: 'backup', name: `backup ${env.name}`, environment: env.name, needs: [after], spec: backup, maxAttempts: 3 });
    after = `backup:${env.name}`;
  }
  steps.push(...rolloutSteps(config, env, services, after, env.verify.length > 0 ? env.verify : [{ kind: 'health' }], {}, input.productionLike));
  return steps;
}

export function deployStepSpec(env: EnvironmentConfig, name: string, service: ServiceConfig & { run: NonNullable<ServiceConfig['run']> }): DeployStepSpec {
  return {
    environment: env.name,
    target: env.target,
    service: name,
    strategy: env.strategy,
    command: service.run.command,
    env: { ...service.env, ...env.env },
    secrets: service.secrets,
    replicas: service.replicas,
    health: service.health,
    smoke: service.smoke,
    timeoutMs: service.health.deadlineMs + 5 * MINUTE,
  };
}

/**
 * From the lock on: one deploy step per service in order, verification, the watch window,
 * finalisation, and the rollback that runs only if one of them failed.
 */
export function rolloutSteps(
  config: GantryConfig,
  env: EnvironmentConfig,
  services: readonly string[],
  after: string,
  checks: readonly VerifyConfig[],
  pinned: Readonly<Record<string, NonNullable<DeployStepSpec['pinnedArtifact']>>>,
  productionLike: boolean,
): PlannedStep[] {
  const steps: PlannedStep[] = [];
  let previous = after;
  const chain: string[] = [];
  for (const name of services) {
    const service = config.services[name];
    if (!service?.run) continue;
    const key = `deploy:${env.name}:${name}`;
    const artifact = pinned[name];
    const spec: DeployStepSpec = { ...deployStepSpec(env, name, { ...service, run: service.run }), ...(artifact ? { pinnedArtifact: artifact } : {}) };
    const label = artifact ? `roll back ${name} → ${env.name} (to ${artifact.release.slice(0, 7)})` : `deploy ${name} → ${env.name} (${env.strategy.kind})`;
    steps.push({ key, kind: 'deploy', name: label, service: name, environment: env.name, needs: [previous], spec, maxAttempts: 3 });
    chain.push(key);
    previous = key;
  }
  const verify: VerifyStepSpec = {
    environment: env.name,
    target: env.target,
    services: services.map((name) => ({ name, health: config.services[name]?.health ?? defaultHealth(), smoke: config.services[name]?.smoke ?? [] })),
    checks,
    timeoutMs: 30 * MINUTE,
  };
  steps.push({ key: `verify:${env.name}`, kind: 'verify', name: `verify ${env.name} (${verify.checks.map((c) => c.kind).join(', ')})`, environment: env.name, needs: [previous], spec: verify, maxAttempts: 1 });
  chain.push(`verify:${env.name}`);
  previous = `verify:${env.name}`;
  if (env.watch && Object.keys(pinned).length === 0) {
    const analysisMs = Math.max(0, ...env.watch.analysis.map((m) => m.intervalMs * m.count));
    const watch: WatchStepSpec = { environment: env.name, target: env.target, services, watch: env.watch, prometheus: config.prometheus, timeoutMs: Math.max(env.watch.durationMs, analysisMs) + 24 * 60 * MINUTE };
    steps.push({ key: `watch:${env.name}`, kind: 'watch', name: `watch ${env.name}`, environment: env.name, needs: [previous], spec: watch, maxAttempts: 1 });
    chain.push(`watch:${env.name}`);
    previous = `watch:${env.name}`;
  }
  const finalize: FinalizeStepSpec = { environment: env.name, target: env.target, services, tag: env.tag && Object.keys(pinned).length === 0, immutableTags: productionLike, timeoutMs: 10 * MINUTE };
  steps.push({ key: `finalize:${env.name}`, kind: 'finalize', name: `finalize ${env.name}`, environment: env.name, needs: [previous], spec: finalize, maxAttempts: 3 });
  chain.push(`finalize:${env.name}`);
  const rollback: RollbackStepSpec = { environment: env.name, target: env.target, timeoutMs: 10 * MINUTE };
  steps.push({ key: `rollback:${env.name}`, kind: 'rollback', name: `rollback ${env.name}`, environment: env.name, needs: chain, when: 'failure', spec: rollback, maxAttempts: 3 });
  return steps;
}

function defaultHealth(): HealthConfig {
  return { path: '/healthz', expectStatus: 200, intervalMs: 1_000, timeoutMs: 2_000, deadlineMs: 60_000, readiness: { failureThreshold: 3, successThreshold: 1 }, liveness: { path: '/healthz', failureThreshold: 30 } };
}
