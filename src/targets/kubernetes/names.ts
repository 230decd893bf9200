import { createHash } from 'node:crypto';

/** Labels and annotations Gantry puts on what it manages (the app.kubernetes.io ones are Kubernetes' recommended labels). */
export const LABEL = {
  name: 'app.kubernetes.io/name',
  instance: 'app.kubernetes.io/instance',
  partOf: 'app.kubernetes.io/part-of',
  managedBy: 'app.kubernetes.io/managed-by',
  version: 'app.kubernetes.io/version',
  color: 'gantry.dev/color',
} as const;

export const ANNOTATION = {
  release: 'gantry.dev/release',
  digest: 'gantry.dev/digest',
  revision: 'gantry.dev/revision',
  environment: 'gantry.dev/environment',
  run: 'gantry.dev/run',
  /** A canary Deployment's full size (the revision's replicas): its scale follows its weight, this does not. */
  replicas: 'gantry.dev/replicas',
} as const;

/** The Deployment controller's own annotation: the rollout revision (`kubectl rollout history`). */
export const ROLLOUT_REVISION = 'deployment.kubernetes.io/revision';
export const POD_TEMPLATE_HASH = 'pod-template-hash';
export const MANAGED_BY = 'gantry';
export const FIELD_MANAGER = 'gantry';
export const MANAGED_SELECTOR = `${LABEL.managedBy}=${MANAGED_BY}`;

export type Color = 'blue' | 'green';
export const COLORS: readonly Color[] = ['blue', 'green'];
/** The colour a Service selects when it should reach no pod (no pod carries it). */
export const NO_COLOR = 'none';

/**
 * The first 10 hex digits of a SHA-256 over `data` with sorted keys: the suffix of a content-named
 * ConfigMap or Secret (kustomize's configMapGenerator does the same), so a revision's pods keep
 * their env and a rollback's template names the old object again.
 */
export function contentHash(data: Readonly<Record<string, string>>): string {
  const sorted = Object.keys(data)
    .sort()
    .map((k) => [k, data[k]]);
  return createHash('sha256').update(JSON.stringify(sorted)).digest('hex').slice(0, 10);
}

/** The labels that select a service's pods (and, for blue-green, one colour's). */
export function selectorLabels(service: string, environment: string, color?: string): Record<string, string> {
  return { [LABEL.name]: service, [LABEL.instance]: `${service}-${environment}`, ...(color === undefined ? {} : { [LABEL.color]: color }) };
}
