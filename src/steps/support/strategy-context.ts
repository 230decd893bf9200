import type { StepContext } from '../../engine/step-handler.js';
import type { SecretSource } from '../../secrets/source.js';
import type { Store } from '../../store/store.js';
import type { StrategyContext } from '../../strategies/strategy.js';
import type { TargetRegistry } from '../../targets/registry.js';
import { ociLayoutRef } from '../../targets/artifact-ref.js';
import type { HealthProbe, RevisionSpec } from '../../targets/target.js';
import type { HealthConfig } from '../../config/types.js';
import { runSmokeTests } from '../checks/http-checks.js';
import type { DeploymentRecord } from './deployment-record.js';
import { registryCredentials } from './registry-access.js';
import type { DeployedImage } from '../../domain/deployment.js';

/**
 * What the deploy, watch, finalize and rollback steps share: the strategy context built from a
 * deployment record. Kept apart so that no step imports another step.
 */
export interface DeployDeps {
  readonly store: Store;
  readonly targets: TargetRegistry;
  /** The OCI image layout the agents read artifacts from. */
  readonly layoutPath: string;
  readonly secrets: SecretSource;
}

/** The facts of a deployment row a strategy context needs (its release is the commit of its artifact). */
export interface DeploymentFacts {
  readonly environment: string;
  readonly service: string;
  readonly revision: number;
  readonly previousRevision: number | null;
  readonly release: string;
  readonly digest: string;
}

/**
 * Builds the strategy context for one deployment from its record (see deployment-record.ts): what
 * it runs, its strategy and its target as recorded when it was created. Secret values are read from
 * the secret store by name now; the record holds only the names.
 */
export async function strategyContext(deps: DeployDeps, ctx: StepContext, d: DeploymentFacts, record: DeploymentRecord): Promise<StrategyContext> {
  const { spec, strategy } = record;
  const target = await deps.targets.get(record.target);
  // Only the secrets that exist are injected, so only those are named as secret keys.
  const secrets = deps.secrets.values(spec.secrets, d.environment);
  const revision: RevisionSpec = {
    environment: d.environment,
    service: d.service,
    revision: d.revision,
    run: ctx.run.id,
    release: d.release,
    // An image by digest when the deployment has one (targets that run images pull it); else the bundle in the layout.
    artifact: spec.image ? { digest: spec.image.digest, ref: `${spec.image.registryUrl}/${spec.image.repository}@${spec.image.digest}` } : { digest: d.digest, ref: ociLayoutRef(deps.layoutPath, d.digest) },
    command: spec.command,
    env: { ...spec.env, ...secrets },
    secretKeys: Object.keys(secrets),
    replicas: spec.replicas,
    // The configured interval as is: readiness and liveness count probes, so their thresholds mean `interval` × count.
    health: { path: spec.health.path, expectStatus: spec.health.expectStatus, intervalMs: spec.health.intervalMs, timeoutMs: spec.health.timeoutMs, ...probeThresholds(spec.health) },
    ...(spec.limits ? { limits: spec.limits } : {}),
    ...pullAuthOf(spec.image, deps.secrets, d.environment),
  };
  return {
    target,
    spec: revision,
    previous: d.previousRevision ?? undefined,
    config: strategy,
    readyDeadlineMs: spec.health.deadlineMs,
    signal: ctx.signal,
    log: (line) => ctx.log.info(line),
    now: () => ctx.clock.now(),
    sleep: (ms, signal) => ctx.clock.sleep(ms, signal),
    preSwitchCheck: (url) => runSmokeTests(url, spec.smoke, ctx.signal, (line) => ctx.log.info(line)),
  };
}

/** The environment's registry account for the agent's pull, read now by name like the revision's secrets. */
function pullAuthOf(image: DeployedImage | undefined, secrets: SecretSource, environment: string): Pick<RevisionSpec, 'pullAuth'> {
  if (!image || image.username === null || image.passwordSecret === null) return {};
  const credentials = registryCredentials({ name: image.registry, url: image.registryUrl, plainHttp: image.plainHttp, username: image.username, passwordSecret: image.passwordSecret }, secrets, environment);
  return credentials ? { pullAuth: credentials } : {};
}

/** A deploy step planned before readiness and liveness existed stored neither: the agent's defaults apply then (readiness only). */
function probeThresholds(health: HealthConfig): Pick<HealthProbe, 'readiness' | 'liveness'> {
  const stored = health as Partial<HealthConfig>;
  return { ...(stored.readiness ? { readiness: stored.readiness } : {}), ...(stored.liveness ? { liveness: stored.liveness } : {}) };
}
