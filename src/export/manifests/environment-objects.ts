import type { EnvironmentConfig, GantryConfig, KubernetesTargetConfig, ServiceConfig } from '../../config/types.js';
import { deployStepSpec } from '../../engine/deploy-plan.js';
import { deployment, envConfigMap, service as serviceObject } from '../../targets/kubernetes/manifests.js';
import { ANNOTATION, NO_COLOR, type Color } from '../../targets/kubernetes/names.js';
import { manifestContext, namespaceManifest } from '../../targets/kubernetes/revision-objects.js';
import { validateManifest, type Manifest } from '../../targets/kubernetes/validate.js';
import type { RevisionSpec } from '../../targets/target.js';
import type { ServiceRelease } from './current-release.js';

/**
 * The Secret a service's pods read their secrets from. The target names it by a hash of the values
 * (which only the server holds, and which never leave it); an export names it plainly, for the team
 * to provide with the tool they keep secrets in (Sealed Secrets, External Secrets …).
 */
export const secretName = (service: string): string => `${service}-secrets`;
/** The target's own name for the pull Secret of a registry with an account. */
export const pullSecretName = (service: string): string => `${service}-pull`;

export interface ServiceObjects {
  readonly service: string;
  readonly objects: readonly Manifest[];
  /** Objects the pods need that the export does not write (they hold secrets): name and keys. */
  readonly needs: ReadonlyArray<{ readonly secret: string; readonly keys: readonly string[] }>;
}

/** The revision as the deploy step records it for a new deployment (deploy-plan.ts), with the release's image. */
function revisionSpec(config: GantryConfig, env: EnvironmentConfig, svc: ServiceConfig & { run: NonNullable<ServiceConfig['run']> }, r: ServiceRelease): RevisionSpec {
  const step = deployStepSpec(env, svc.name, svc, config);
  return {
    environment: env.name,
    service: svc.name,
    revision: r.revision,
    ...(r.run === undefined ? {} : { run: r.run }),
    release: r.release,
    artifact: { digest: r.digest, ref: r.image },
    command: step.command,
    env: step.env,
    secretKeys: step.secrets,
    replicas: step.replicas,
    health: { path: step.health.path, expectStatus: step.health.expectStatus, intervalMs: step.health.intervalMs, timeoutMs: step.health.timeoutMs, readiness: step.health.readiness, liveness: step.health.liveness },
    ...(step.limits ? { limits: step.limits } : {}),
  };
}

/** A release named by --release has no digest or Gantry revision yet: its Deployment carries no annotation claiming one. */
function withoutUnknowns<T extends { metadata: { annotations?: Record<string, string> | undefined } }>(d: T, r: ServiceRelease): T {
  const annotations = { ...d.metadata.annotations };
  if (r.digest === '') delete annotations[ANNOTATION.digest];
  if (r.revision === 0) delete annotations[ANNOTATION.revision];
  return { ...d, metadata: { ...d.metadata, annotations } };
}

/**
 * A service's objects as the kubernetes target applies them, from the target's own builders: the
 * env ConfigMap and the Deployment, and the Service(s) of the environment's layout — rolling: `<svc>`;
 * blue-green (and canary, which the target runs on the same layout): `<svc>-blue` serving through
 * `<svc>`, and `<svc>-preview` selecting no pod until a next release is previewed.
 */
export function serviceObjects(config: GantryConfig, env: EnvironmentConfig, target: KubernetesTargetConfig, r: ServiceRelease): ServiceObjects {
  const svc = config.services[r.service];
  if (svc?.run === undefined) return { service: r.service, objects: [], needs: [] };
  const run = { ...svc, run: svc.run };
  const spec = revisionSpec(config, env, run, r);
  const color: Color | undefined = env.strategy.kind === 'rolling' ? undefined : 'blue';
  const ctx = manifestContext({ config, target }, env.name, r.service, color);
  const configMap = envConfigMap(spec, ctx);
  const hasSecrets = spec.secretKeys.length > 0;
  const registry = config.registries[env.registry ?? svc.image?.registry ?? ''];
  const pull = registry?.username !== undefined ? pullSecretName(r.service) : undefined;
  const objects: Manifest[] = [configMap, withoutUnknowns(deployment(spec, ctx, { configMap: configMap.metadata.name, secret: hasSecrets ? secretName(r.service) : undefined, pull }), r)];
  const ref = { service: r.service, environment: env.name };
  objects.push(serviceObject(r.service, ref, ctx, target.serviceType, color));
  if (color !== undefined) objects.push(serviceObject(`${r.service}-preview`, ref, ctx, target.serviceType, NO_COLOR));
  const needs = [...(hasSecrets ? [{ secret: secretName(r.service), keys: spec.secretKeys }] : []), ...(pull ? [{ secret: pullSecretName(r.service), keys: ['.dockerconfigjson'] }] : [])];
  return { service: r.service, objects: objects.map((o) => validateManifest(o)), needs };
}

export const namespaceObject = (target: KubernetesTargetConfig): Manifest => validateManifest(namespaceManifest(target.namespace));
