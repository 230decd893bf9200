import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IProbe } from 'kubernetes-models/v1/Probe';
import type { ISecret } from 'kubernetes-models/v1/Secret';
import type { IService } from 'kubernetes-models/v1/Service';
import type { HealthProbe, RevisionSpec } from '../target.js';
import { ANNOTATION, contentHash, LABEL, MANAGED_BY, selectorLabels, type Color } from './names.js';

/** What the builders need beyond the RevisionSpec: read from gantry.yaml by the target. */
export interface ManifestContext {
  readonly project: string;
  readonly namespace: string;
  /** The service's run.port: containerPort, PORT and the Service's port. */
  readonly port: number;
  /** undefined: the rolling layout (one Deployment `<svc>`); a colour: blue-green's `<svc>-<color>`. */
  readonly color: Color | undefined;
  readonly rolling: { readonly maxSurge: number; readonly maxUnavailable: number };
  readonly progressDeadlineMs: number;
}

const metaOf = (name: string, namespace: string, spec: Pick<RevisionSpec, 'service' | 'environment'>, project: string): { name: string; namespace: string; labels: Record<string, string> } => ({
  name,
  namespace,
  labels: { ...selectorLabels(spec.service, spec.environment), [LABEL.partOf]: project, [LABEL.managedBy]: MANAGED_BY },
});

/** The RevisionSpec's env without its secrets, in a content-named immutable ConfigMap. */
export function envConfigMap(spec: RevisionSpec, ctx: ManifestContext): IConfigMap & { metadata: { name: string } } {
  const secret = new Set(spec.secretKeys);
  const data = Object.fromEntries(Object.entries(spec.env).filter(([k]) => !secret.has(k)));
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: metaOf(`${spec.service}-env-${contentHash(data)}`, ctx.namespace, spec, ctx.project), immutable: true, data };
}

/** The RevisionSpec's secret values in a content-named immutable Secret (base64 `data`, as the API stores it). */
export function envSecret(spec: RevisionSpec, ctx: ManifestContext): ISecret & { metadata: { name: string } } {
  const values = Object.fromEntries(spec.secretKeys.filter((k) => spec.env[k] !== undefined).map((k) => [k, spec.env[k] ?? '']));
  const data = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));
  // The name hashes the values (as kustomize's secretGenerator does); 40 bits of a SHA-256 over them tell nothing usable about them.
  return { apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: metaOf(`${spec.service}-secrets-${contentHash(values)}`, ctx.namespace, spec, ctx.project), immutable: true, data };
}

/** The registry host of an image reference `host/repo@sha256:…`. */
export const registryHost = (ref: string): string => ref.slice(0, ref.indexOf('/'));

/** `<svc>-pull`: the kubelet's credentials for the artifact's registry (kubernetes.io/dockerconfigjson). */
export function pullSecret(spec: RevisionSpec, ctx: ManifestContext, auth: NonNullable<RevisionSpec['pullAuth']>): ISecret & { metadata: { name: string } } {
  const entry = { username: auth.username, password: auth.password, auth: Buffer.from(`${auth.username}:${auth.password}`).toString('base64') };
  const json = JSON.stringify({ auths: { [registryHost(spec.artifact.ref)]: entry } });
  return { apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/dockerconfigjson', metadata: metaOf(`${spec.service}-pull`, ctx.namespace, spec, ctx.project), data: { '.dockerconfigjson': Buffer.from(json).toString('base64') } };
}

export const deploymentName = (service: string, color: Color | undefined): string => (color === undefined ? service : `${service}-${color}`);

const seconds = (ms: number): number => Math.max(1, Math.ceil(ms / 1000));

function probes(health: HealthProbe, port: number): { readinessProbe: IProbe; livenessProbe?: IProbe } {
  const timing = { periodSeconds: seconds(health.intervalMs), timeoutSeconds: seconds(health.timeoutMs) };
  const readinessProbe: IProbe = {
    httpGet: { path: health.path, port },
    ...timing,
    failureThreshold: health.readiness?.failureThreshold ?? 3,
    successThreshold: health.readiness?.successThreshold ?? 1,
  };
  const live = health.liveness;
  if (live === undefined || live.failureThreshold <= 0) return { readinessProbe };
  return { readinessProbe, livenessProbe: { httpGet: { path: live.path, port }, ...timing, failureThreshold: live.failureThreshold } };
}

/** cpus → millicores, memoryBytes → bytes; requests equal limits (the Guaranteed QoS class). */
function resources(limits: RevisionSpec['limits']): { requests: Record<string, string>; limits: Record<string, string> } | undefined {
  const out: Record<string, string> = {};
  if (limits?.cpus !== undefined) out.cpu = `${Math.round(limits.cpus * 1000)}m`;
  if (limits?.memoryBytes !== undefined) out.memory = String(limits.memoryBytes);
  return Object.keys(out).length === 0 ? undefined : { requests: out, limits: { ...out } };
}

/**
 * The service's Deployment. Gantry's revision goes on the Deployment's annotations only, never on
 * the pod template: the same spec gives the same template, so Kubernetes reuses its ReplicaSet
 * (what `kubectl rollout undo` relies on).
 */
export function deployment(spec: RevisionSpec, ctx: ManifestContext, env: { configMap: string; secret: string | undefined; pull: string | undefined }): IDeployment & { metadata: { name: string } } {
  const meta = metaOf(deploymentName(spec.service, ctx.color), ctx.namespace, spec, ctx.project);
  const podLabels = { ...selectorLabels(spec.service, spec.environment, ctx.color), [LABEL.partOf]: ctx.project, [LABEL.managedBy]: MANAGED_BY, [LABEL.version]: spec.release.slice(0, 7) };
  const limits = resources(spec.limits);
  const envFrom = [{ configMapRef: { name: env.configMap } }, ...(env.secret === undefined ? [] : [{ secretRef: { name: env.secret } }])];
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      ...meta,
      labels: { ...meta.labels, ...(ctx.color === undefined ? {} : { [LABEL.color]: ctx.color }), [LABEL.version]: spec.release.slice(0, 7) },
      annotations: { [ANNOTATION.release]: spec.release, [ANNOTATION.digest]: spec.artifact.digest, [ANNOTATION.revision]: String(spec.revision), [ANNOTATION.environment]: spec.environment, ...(spec.run === undefined ? {} : { [ANNOTATION.run]: String(spec.run) }) },
    },
    spec: {
      replicas: spec.replicas,
      selector: { matchLabels: selectorLabels(spec.service, spec.environment, ctx.color) },
      progressDeadlineSeconds: seconds(ctx.progressDeadlineMs),
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: ctx.rolling.maxSurge, maxUnavailable: ctx.rolling.maxUnavailable } },
      template: {
        metadata: { labels: podLabels },
        spec: {
          ...(env.pull === undefined ? {} : { imagePullSecrets: [{ name: env.pull }] }),
          containers: [
            {
              name: spec.service,
              image: spec.artifact.ref,
              command: ['/bin/sh', '-c', spec.command],
              envFrom,
              // What every target tells a service about itself (the agent sets the same), but not its Gantry
              // revision: the pod template must stay the same for the same release, so an undo reuses its ReplicaSet.
              env: [
                { name: 'PORT', value: String(ctx.port) },
                { name: 'GANTRY_ENVIRONMENT', value: spec.environment },
                { name: 'GANTRY_SERVICE', value: spec.service },
                { name: 'GANTRY_RELEASE', value: spec.release },
              ],
              ports: [{ name: 'http', containerPort: ctx.port }],
              ...(limits === undefined ? {} : { resources: limits }),
              ...probes(spec.health, ctx.port),
            },
          ],
        },
      },
    },
  };
}

/** A Service on run.port selecting the service's pods (of `color`, when given: blue-green's active and preview Services). */
export function service(name: string, spec: Pick<RevisionSpec, 'service' | 'environment'>, ctx: Pick<ManifestContext, 'project' | 'namespace' | 'port'>, type: 'ClusterIP' | 'NodePort' | 'LoadBalancer', color: string | undefined): IService & { metadata: { name: string } } {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: metaOf(name, ctx.namespace, spec, ctx.project),
    spec: { type, selector: selectorLabels(spec.service, spec.environment, color), ports: [{ name: 'http', port: ctx.port, targetPort: ctx.port, protocol: 'TCP' }] },
  };
}
