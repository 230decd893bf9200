import type { GantryConfig, KubernetesTargetConfig } from '../../config/types.js';
import { TargetError } from '../../errors/index.js';
import type { RevisionSpec } from '../target.js';
import { checkImage } from './image-check.js';
import type { KubeApi } from './kube-api.js';
import { deployment, envConfigMap, envSecret, pullSecret, service, type ManifestContext } from './manifests.js';
import { LABEL, MANAGED_BY, type Color } from './names.js';
import { validateManifest, type Manifest } from './validate.js';

/** What every part of the target shares: the API, the namespace, and gantry.yaml. */
export interface KubeContext {
  readonly api: KubeApi;
  readonly target: KubernetesTargetConfig;
  readonly config: GantryConfig;
  /** Applies the namespace once (labelled as Gantry's); later calls reuse the first answer. */
  ensureNamespace(): Promise<void>;
}

/** The service's run.port, which the Deployment, PORT and the Service use. */
export function portOf(c: Pick<KubeContext, 'config' | 'target'>, service: string): number {
  const run = c.config.services[service]?.run;
  if (run === undefined) throw new TargetError('CONFIG_INVALID_VALUE', `service ${service} has no run: section, so target ${c.target.name} has no port to give it`, { where: `services.${service}.run`, hint: 'Give the service run.command and run.port.' });
  return run.port;
}

export function manifestContext(c: Pick<KubeContext, 'config' | 'target'>, environment: string, service: string, color: Color | undefined): ManifestContext {
  const strategy = c.config.environments[environment]?.strategy;
  const rolling = strategy?.kind === 'rolling' ? strategy : { maxSurge: 1, maxUnavailable: 0 };
  return {
    project: c.config.project.name,
    namespace: c.target.namespace,
    port: portOf(c, service),
    color,
    // Kubernetes refuses both at 0 (validation refuses it in gantry.yaml too).
    rolling: rolling.maxSurge === 0 && rolling.maxUnavailable === 0 ? { maxSurge: 1, maxUnavailable: 0 } : { maxSurge: rolling.maxSurge, maxUnavailable: rolling.maxUnavailable },
    progressDeadlineMs: c.target.progressDeadlineMs,
  };
}

/**
 * Applies a revision's objects: its env ConfigMap and Secret, the pull Secret, the Deployment
 * (`<svc>` or `<svc>-<color>`, with `annotations` beside Gantry's own). The image is checked and
 * every manifest validated before the first is sent: a refusal applies nothing.
 */
export async function applyRevision(c: KubeContext, spec: RevisionSpec, color: Color | undefined, annotations: Readonly<Record<string, string>> = {}): Promise<void> {
  const ctx = manifestContext(c, spec.environment, spec.service, color);
  await checkImage(spec, c.config.registries);
  const configMap = envConfigMap(spec, ctx);
  const secret = spec.secretKeys.length === 0 ? undefined : envSecret(spec, ctx);
  const pull = spec.pullAuth === undefined ? undefined : pullSecret(spec, ctx, spec.pullAuth);
  const manifests: Manifest[] = [configMap, ...(secret ? [secret] : []), ...(pull ? [pull] : [])];
  const made = deployment(spec, ctx, { configMap: configMap.metadata.name, secret: secret?.metadata.name, pull: pull?.metadata.name });
  made.metadata.annotations = { ...made.metadata.annotations, ...annotations };
  manifests.push(made);
  for (const m of manifests) validateManifest(m);
  await c.ensureNamespace();
  for (const m of manifests) await c.api.apply(m);
}

/** Applies a Service selecting `color` (undefined: every pod of the service), keeping it as it is when it exists. */
export async function applyService(c: KubeContext, environment: string, svc: string, name: string, color: string | undefined): Promise<void> {
  const ctx = { project: c.config.project.name, namespace: c.target.namespace, port: portOf(c, svc) };
  await c.api.apply(validateManifest(service(name, { service: svc, environment }, ctx, c.target.serviceType, color)));
}

export const namespaceManifest = (name: string): Manifest & { metadata: { labels: Record<string, string> } } => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { [LABEL.managedBy]: MANAGED_BY } } });
