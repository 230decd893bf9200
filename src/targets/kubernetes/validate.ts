import { Deployment } from 'kubernetes-models/apps/v1';
import { ConfigMap, Namespace, Secret, Service } from 'kubernetes-models/v1';
import { TargetError } from '../../errors/index.js';

/** A manifest the target sends: apiVersion, kind and a name at least. */
export interface Manifest {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string | undefined };
}

// The validators of kubernetes-models (generated from the official OpenAPI schema), by kind.
const MODELS: Record<string, new (data: never) => { validate(): void }> = { Deployment, ConfigMap, Secret, Service, Namespace };

interface AjvIssue {
  readonly instancePath?: string;
  readonly message?: string;
}

/**
 * Checks a manifest against the Kubernetes OpenAPI schema before it is sent, so a bad value (a
 * memory quantity, a port, a name) is refused here, naming the field, instead of by the cluster.
 */
export function validateManifest<T extends Manifest>(manifest: T): T {
  const Model = MODELS[manifest.kind];
  if (Model === undefined) return manifest;
  try {
    new Model(manifest as never).validate();
  } catch (e: unknown) {
    const issues = ((e as { errors?: unknown }).errors ?? []) as AjvIssue[];
    // A quantity fails both branches of its oneOf (number, string format): the format's message names it best.
    const first = issues.find((i) => i.message?.startsWith('must match format')) ?? issues[0];
    const path = first?.instancePath ?? '';
    const what = first ? `${path || '/'} ${first.message ?? 'is invalid'}` : e instanceof Error ? e.message : String(e);
    throw new TargetError('TARGET_MANIFEST_INVALID', `${manifest.kind} ${manifest.metadata.name}: ${what}`, {
      where: `${manifest.kind}/${manifest.metadata.name}${path.replaceAll('/', '.')}`,
      hint: 'Fix the gantry.yaml value this field comes from (run.limits, run.port, health, a name Kubernetes cannot use); nothing was sent to the cluster.',
      details: { kind: manifest.kind, name: manifest.metadata.name, field: path },
    });
  }
  return manifest;
}
