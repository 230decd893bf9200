import { environmentPlacements, type Placement } from '../config/environment-placements.js';
import type { EnvironmentConfig, GantryConfig, HealthConfig, ImageBuildConfig, ServiceConfig, VerifyConfig } from '../config/types.js';
import {
  STEP_SPEC_VERSION,
  type ApprovalStepSpec,
  type BackupStepSpec,
  type BuildStepSpec,
  type DeployStepSpec,
  type DeployImage,
  type FinalizeStepSpec,
  type ImageScanStepSpec,
  type ImageStepSpec,
  type LockStepSpec,
  type PromotionStepSpec,
  type ProtectionStepSpec,
  type RollbackStepSpec,
  type TypedPlannedStep,
  type VerifyStepSpec,
  type WatchStepSpec,
  IMAGE_SCAN_STEP_MARGIN_MS,
  registryAccess,
  type RegistryAccess,
} from './step-specs/index.js';
import { approvalKey, backupKey, buildKey, deployKey, imageKey, imageScanKey, finalizeKey, lockKey, promotionKey, protectionKey, rollbackKey, verifyKey, watchKey } from './step-keys.js';

const v = STEP_SPEC_VERSION;

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
export function planDeploy(input: DeployPlanInput): TypedPlannedStep[] {
  const { config, environment: env } = input;
  const services = env.services.filter((name) => config.services[name]?.run !== undefined);
  const steps: TypedPlannedStep[] = [];
  const builds: string[] = [];
  for (const name of services) {
    const service = config.services[name];
    if (!service) continue;
    const key = buildKey(name);
    const spec: BuildStepSpec = {
      v,
      service: name,
      servicePath: service.path,
      treeKey: input.serviceTrees[name] ?? 'unknown',
      build: service.build,
      mustExist: input.mustExist,
      timeoutMs: (service.build?.timeoutMs ?? 0) + BUILD_STEP_EXTRA_MS,
    };
    const gate = input.lastGate[name];
    steps.push({ key, kind: 'build', name: `build ${name}`, service: name, needs: gate ? [gate] : [], spec, maxAttempts: 1 });
    // Built when first needed (a docker or kubernetes target, or a scan), then reused by every later environment: still once per release.
    const image = runsImages(config, env) ? imageStep(config, name, service, key, input.mustExist) : undefined;
    if (image) steps.push(image);
    builds.push(image?.key ?? key);
    if (image && env.imageScan && config.images.scanner) {
      const scan = imageScanStep(config, env, name, image.key);
      if (scan) {
        steps.push(scan);
        builds.push(scan.key);
      }
    }
  }
  let before = builds;
  if (input.protection) {
    // Needs nothing: GitHub's verdict is awaited while CI runs, and a refusal fails the run before
    // anything is promoted, approved, locked or deployed.
    const key = protectionKey(input.protection.branch);
    steps.push({ key, kind: 'protection', name: `branch protection (${input.protection.branch})`, environment: env.name, needs: [], spec: input.protection, maxAttempts: 1 });
    before = [...builds, key];
  }
  if (env.requires) {
    const spec: PromotionStepSpec = { v, environment: env.name, requires: env.requires, services, override: input.overridePromotion };
    steps.push({ key: promotionKey(env.name), kind: 'promotion', name: `promotion ${env.requires} → ${env.name}`, environment: env.name, needs: before, spec, maxAttempts: 1 });
    before = [promotionKey(env.name)];
  }
  if (env.approvals.required > 0) {
    const spec: ApprovalStepSpec = {
      v,
      environment: env.name,
      required: env.approvals.required,
      approvers: env.approvals.approvers,
      confirmation: env.confirmation ?? null,
      waitMs: env.approvals.timeoutMs,
      timeoutMs: 60_000,
    };
    steps.push({ key: approvalKey(env.name), kind: 'approval', name: `approval ${env.name} (${env.approvals.required})`, environment: env.name, needs: before, spec, maxAttempts: 1 });
    before = [approvalKey(env.name)];
  }
  steps.push(lockStep(env.name, before, 24 * 60 * MINUTE));
  let after = lockKey(env.name);
  if (env.backup) {
    const backup: BackupStepSpec = { v, environment: env.name, target: env.target, services, retentionMs: env.backup.retentionMs, timeoutMs: 5 * MINUTE };
    steps.push({ key: backupKey(env.name), kind: 'backup', name: `backup ${env.name}`, environment: env.name, needs: [after], spec: backup, maxAttempts: 3 });
    after = backupKey(env.name);
  }
  steps.push(...rolloutSteps(config, env, services, after, env.verify.length > 0 ? env.verify : [{ kind: 'health' }], {}, input.productionLike));
  return steps;
}

/** Target kinds that run containers from images; the local kind runs the bundle. */
const IMAGE_TARGET_KINDS: ReadonlySet<string> = new Set(['docker', 'kubernetes']);
const runsContainers = (config: GantryConfig, env: EnvironmentConfig): boolean => IMAGE_TARGET_KINDS.has(config.targets[env.target]?.kind ?? 'local');

/** An environment that runs images (a docker or kubernetes target) or scans them needs the release's images. */
function runsImages(config: GantryConfig, env: EnvironmentConfig): boolean {
  return runsContainers(config, env) || env.imageScan !== undefined;
}

/** The image step of a service that has an image: after its build, into the build registry. */
function imageStep(config: GantryConfig, name: string, service: ServiceConfig, buildStep: string, mustExist: boolean): TypedPlannedStep | undefined {
  const image = service.image;
  const registry = image && config.registries[image.registry];
  if (!image || !registry) return undefined;
  const spec: ImageStepSpec = {
    v,
    service: name,
    servicePath: service.path,
    registry: registryAccess(registry),
    repository: image.repository,
    build: image.build,
    baseRegistry: baseRegistryOf(config, image.build, registry.url),
    source: config.repository.url,
    engine: config.images.engine ?? null,
    mustExist,
    timeoutMs: (service.build?.timeoutMs ?? 0) + BUILD_STEP_EXTRA_MS,
  };
  return { key: imageKey(name), kind: 'image', name: `image ${name}`, service: name, needs: [buildStep], spec, maxAttempts: 2 };
}

/** The declared registry an assembled image's base is on, when it is not the build registry (its account is read like the build's). */
function baseRegistryOf(config: GantryConfig, build: ImageBuildConfig, buildRegistryUrl: string): RegistryAccess | null {
  if (build.kind !== 'assemble') return null;
  const host = build.base.split('/')[0] ?? '';
  if (host === buildRegistryUrl) return null;
  const declared = Object.values(config.registries).find((r) => r.url === host);
  return declared ? registryAccess(declared) : null;
}

/** The scan of a service's image before it may reach an environment with imageScan (the image step says which digest). */
function imageScanStep(config: GantryConfig, env: EnvironmentConfig, name: string, imageStepKey: string): TypedPlannedStep | undefined {
  const scanner = config.images.scanner;
  const policy = env.imageScan;
  const image = deployImage(config, env, config.services[name]);
  if (!scanner || !policy || !image) return undefined;
  const spec: ImageScanStepSpec = {
    v,
    environment: env.name,
    service: name,
    imageStep: imageStepKey,
    // Where the image step pushed it: an environment's own registry gets it only when its deploy copies it there.
    registry: image.from,
    repository: image.repository,
    scanner: { command: scanner.command, timeoutMs: scanner.timeoutMs },
    failOn: policy.failOn,
    ignore: policy.ignore,
    timeoutMs: scanner.timeoutMs + IMAGE_SCAN_STEP_MARGIN_MS,
  };
  return { key: imageScanKey(env.name, name), kind: 'image-scan', name: `scan ${name} image for ${env.name}`, service: name, environment: env.name, needs: [imageStepKey], spec, maxAttempts: 1 };
}

/** Where an environment pulls a service's image from, and where it was built; undefined for a service without an image. */
function deployImage(config: GantryConfig, env: EnvironmentConfig, service: ServiceConfig | undefined): DeployImage | undefined {
  const image = service?.image;
  const from = image && config.registries[image.registry];
  const to = config.registries[env.registry ?? image?.registry ?? ''] ?? from;
  if (!image || !from || !to) return undefined;
  return { repository: image.repository, from: registryAccess(from), to: registryAccess(to) };
}

export function deployStepSpec(env: EnvironmentConfig, name: string, service: ServiceConfig & { run: NonNullable<ServiceConfig['run']> }, config?: GantryConfig): DeployStepSpec {
  // Only a container target runs the image; a local one runs the bundle even where the image is scanned.
  const image = config !== undefined && runsContainers(config, env) ? deployImage(config, env, service) : undefined;
  const { cpus, memoryBytes } = service.run.limits;
  return {
    v,
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
    ...(image ? { image } : {}),
    ...(env.strategy.kind === 'canary' && config?.prometheus ? { prometheus: config.prometheus } : {}),
    ...(cpus === undefined && memoryBytes === undefined ? {} : { limits: { ...(cpus === undefined ? {} : { cpus }), ...(memoryBytes === undefined ? {} : { memoryBytes }) } }),
  };
}

/**
 * From the lock on: one deploy step per service in order, verification, the watch window,
 * finalisation, and the rollback that runs only if one of them failed. An environment with regions
 * gets the deploys, verification and watch once per region, wave after wave: a wave's deploys need
 * every step of the wave before it, so each wave is watched before the next starts. Finalisation
 * follows the last wave (every previous revision keeps running until then, so rolling back any
 * region is instant); the one rollback step knows the waves and the environment's onFailure.
 */
export function rolloutSteps(
  config: GantryConfig,
  env: EnvironmentConfig,
  services: readonly string[],
  after: string,
  checks: readonly VerifyConfig[],
  pinned: Readonly<Record<string, NonNullable<DeployStepSpec['pinnedArtifact']>>>,
  productionLike: boolean,
): TypedPlannedStep[] {
  const steps: TypedPlannedStep[] = [];
  const chain: string[] = [];
  const placements = environmentPlacements(env);
  let before = [after];
  for (const wave of env.regions.length > 0 ? env.waves : [['']]) {
    const ends: string[] = [];
    for (const region of wave) {
      const placement = placements.find((p) => p.region === region);
      if (placement) ends.push(placementSteps(config, env, services, before, checks, pinned, placement, steps, chain));
    }
    before = ends;
  }
  const finalize: FinalizeStepSpec = { v, environment: env.name, target: env.target, services, tag: env.tag && Object.keys(pinned).length === 0, immutableTags: productionLike, timeoutMs: 10 * MINUTE };
  steps.push({ key: finalizeKey(env.name), kind: 'finalize', name: `finalize ${env.name}`, environment: env.name, needs: before, spec: finalize, maxAttempts: 3 });
  chain.push(finalizeKey(env.name));
  const regions = env.regions.length > 0 ? { regions: { waves: env.waves, onFailure: env.onFailure } } : {};
  const rollback: RollbackStepSpec = { v, environment: env.name, target: env.target, timeoutMs: 10 * MINUTE, ...regions };
  steps.push({ key: rollbackKey(env.name), kind: 'rollback', name: `rollback ${env.name}`, environment: env.name, needs: chain, when: 'failure', spec: rollback, maxAttempts: 3 });
  return steps;
}

/** One place's deploys (in service order), verification and watch, after `needs`; returns the key of its last step. */
function placementSteps(
  config: GantryConfig,
  env: EnvironmentConfig,
  services: readonly string[],
  needs: readonly string[],
  checks: readonly VerifyConfig[],
  pinned: Readonly<Record<string, NonNullable<DeployStepSpec['pinnedArtifact']>>>,
  placement: Placement,
  steps: TypedPlannedStep[],
  chain: string[],
): string {
  // Without regions, specs, keys and names are exactly what they were before regions existed.
  const region = placement.region === '' ? undefined : placement.region;
  const at = region === undefined ? {} : { region };
  const where = region === undefined ? env.name : `${env.name}@${region}`;
  let previous = [...needs];
  for (const name of services) {
    const service = config.services[name];
    if (!service?.run) continue;
    const key = deployKey(env.name, name, region);
    const artifact = pinned[name];
    const base = deployStepSpec(env, name, { ...service, run: service.run }, config);
    // A region's revisions know where they run (GANTRY_REGION), as they know their environment and revision.
    const placed = region === undefined ? base : { ...base, target: placement.target, region, env: { ...base.env, GANTRY_REGION: region } };
    const spec: DeployStepSpec = { ...placed, ...(artifact ? { pinnedArtifact: artifact } : {}) };
    const label = artifact ? `roll back ${name} → ${where} (to ${artifact.release.slice(0, 7)})` : `deploy ${name} → ${where} (${env.strategy.kind})`;
    steps.push({ key, kind: 'deploy', name: label, service: name, environment: env.name, needs: previous, spec, maxAttempts: 3 });
    chain.push(key);
    previous = [key];
  }
  const verify: VerifyStepSpec = {
    v,
    environment: env.name,
    target: placement.target,
    ...at,
    services: services.map((name) => ({ name, health: config.services[name]?.health ?? defaultHealth(), smoke: config.services[name]?.smoke ?? [] })),
    checks,
    timeoutMs: 30 * MINUTE,
  };
  let last = verifyKey(env.name, region);
  steps.push({ key: last, kind: 'verify', name: `verify ${where} (${verify.checks.map((c) => c.kind).join(', ')})`, environment: env.name, needs: previous, spec: verify, maxAttempts: 1 });
  chain.push(last);
  if (env.watch && Object.keys(pinned).length === 0) {
    const analysisMs = Math.max(0, ...env.watch.analysis.map((m) => m.intervalMs * m.count));
    const watch: WatchStepSpec = { v, environment: env.name, target: placement.target, ...at, services, watch: env.watch, prometheus: config.prometheus, timeoutMs: Math.max(env.watch.durationMs, analysisMs) + 24 * 60 * MINUTE };
    steps.push({ key: watchKey(env.name, region), kind: 'watch', name: `watch ${where}`, environment: env.name, needs: [last], spec: watch, maxAttempts: 1 });
    last = watchKey(env.name, region);
    chain.push(last);
  }
  return last;
}

/** The step that takes the environment lock (invariant 2); a rollback plan starts with one too. */
export function lockStep(environment: string, needs: readonly string[], timeoutMs: number): TypedPlannedStep {
  const spec: LockStepSpec = { v, environment, timeoutMs };
  return { key: lockKey(environment), kind: 'environment-lock', name: `lock ${environment}`, environment, needs, spec, maxAttempts: 1 };
}

function defaultHealth(): HealthConfig {
  return { path: '/healthz', expectStatus: 200, intervalMs: 1_000, timeoutMs: 2_000, deadlineMs: 60_000, readiness: { failureThreshold: 3, successThreshold: 1 }, liveness: { path: '/healthz', failureThreshold: 30 } };
}
