import { z } from 'zod';
import { GantryError } from '../../errors/index.js';

export const APPLICATION_FILE = 'argocd-application.yaml';
/** Where Argo CD runs in a default install; the Application object lives there. */
export const ARGOCD_NAMESPACE = 'argocd';
export const IN_CLUSTER = 'https://kubernetes.default.svc';

/**
 * The fields of an argoproj.io/v1alpha1 Application that Argo CD needs to sync a folder of plain
 * manifests (its CRD requires metadata.name, spec.source or sources, spec.destination and
 * spec.project). Checked before anything is written.
 */
export const ApplicationSchema = z.object({
  apiVersion: z.literal('argoproj.io/v1alpha1'),
  kind: z.literal('Application'),
  metadata: z.object({ name: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/).max(63), namespace: z.string().min(1), finalizers: z.array(z.string()).optional(), labels: z.record(z.string(), z.string()).optional() }),
  spec: z.object({
    project: z.string().min(1),
    source: z.object({ repoURL: z.string().min(1), targetRevision: z.string().min(1), path: z.string().min(1), directory: z.object({ recurse: z.boolean(), exclude: z.string() }).optional() }),
    destination: z.object({ server: z.url(), namespace: z.string().min(1) }),
    syncPolicy: z.object({ automated: z.object({ prune: z.boolean(), selfHeal: z.boolean() }), syncOptions: z.array(z.string()).optional() }),
  }),
});
export type Application = z.infer<typeof ApplicationSchema>;

export interface ApplicationInput {
  readonly project: string;
  readonly environment: string;
  readonly namespace: string;
  readonly repoURL: string;
  /** The folder of the manifests, relative to the repository's root, with forward slashes. */
  readonly path: string;
}

/** Argo CD syncs the folder into the target's namespace, pruning what was removed and undoing drift. */
export function argoApplication(input: ApplicationInput): Application {
  const app = {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name: `${input.project}-${input.environment}`.slice(0, 63).replace(/-+$/, ''), namespace: ARGOCD_NAMESPACE, labels: { 'app.kubernetes.io/part-of': input.project }, finalizers: ['resources-finalizer.argocd.argoproj.io'] },
    spec: {
      project: 'default',
      // The Application file sits in the synced folder; Argo CD must not apply it into the environment's namespace.
      source: { repoURL: input.repoURL, targetRevision: 'HEAD', path: input.path, directory: { recurse: false, exclude: APPLICATION_FILE } },
      destination: { server: IN_CLUSTER, namespace: input.namespace },
      syncPolicy: { automated: { prune: true, selfHeal: true }, syncOptions: ['CreateNamespace=true'] },
    },
  };
  const parsed = ApplicationSchema.safeParse(app);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new GantryError('TARGET_MANIFEST_INVALID', `Application ${app.metadata.name}: ${issue ? `${issue.path.join('.')} ${issue.message}` : 'is invalid'}`, { where: `Application/${app.metadata.name}`, hint: 'Check repository.url and the project and environment names in gantry.yaml.' });
  }
  return parsed.data;
}
