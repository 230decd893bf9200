import { stringify } from 'yaml';
import type { EnvironmentConfig, GantryConfig, KubernetesTargetConfig } from '../../config/types.js';
import { GantryError } from '../../errors/index.js';
import type { ExportedFile } from '../github-actions/export-github-actions.js';
import { APPLICATION_FILE, argoApplication } from './argo-application.js';
import { releaseFromFlag, releaseFromServer, type LiveSource, type ServiceRelease } from './current-release.js';
import { namespaceObject, serviceObjects } from './environment-objects.js';
import { repositoryLocation } from './repository-location.js';

export interface ManifestExportOptions {
  readonly environment: string | undefined;
  readonly out: string;
  readonly release: string | undefined;
  readonly configFile: string;
  /** The server's API, asked only when no --release is given. */
  readonly live: () => LiveSource;
}

export interface ManifestExport {
  readonly environment: string;
  /** Where the release came from, for the CLI's report. */
  readonly source: string;
  readonly files: ExportedFile[];
  readonly notes: string[];
}

const REPO_PLACEHOLDER = 'REPLACE-with-the-URL-Argo-CD-clones';
const yamlDocs = (objects: readonly object[]): string => objects.map((o) => stringify(o, { lineWidth: 0 })).join('---\n');

/** The environment asked for, or the only one on a kubernetes target; its target must be a kubernetes one. */
function chooseEnvironment(config: GantryConfig, name: string | undefined): { env: EnvironmentConfig; target: KubernetesTargetConfig } {
  const onKubernetes = Object.values(config.environments).filter((e) => config.targets[e.target]?.kind === 'kubernetes');
  if (name === undefined) {
    if (onKubernetes.length !== 1) {
      const which = onKubernetes.length === 0 ? 'no environment deploys to a kubernetes target' : `several environments deploy to kubernetes targets (${onKubernetes.map((e) => e.name).join(', ')})`;
      throw new GantryError('EXPORT_TARGET_UNSUPPORTED', `which environment? ${which}`, { hint: onKubernetes.length === 0 ? 'Point an environment at a kubernetes target in gantry.yaml (see docs/targets.md).' : 'Name one with --env.' });
    }
    name = onKubernetes[0]?.name ?? '';
  }
  const env = config.environments[name];
  if (env === undefined) {
    throw new GantryError('UNKNOWN_ENVIRONMENT', `environment "${name}" is not declared in gantry.yaml`, { hint: `Declared: ${Object.keys(config.environments).join(', ')}.` });
  }
  const target = config.targets[env.target];
  if (target?.kind !== 'kubernetes') {
    throw new GantryError('EXPORT_TARGET_UNSUPPORTED', `environment ${env.name} deploys to target ${env.target} (kind ${target?.kind ?? 'local'}), which has no Kubernetes manifests`, {
      where: `environments.${env.name}.target`,
      hint: 'Export an environment on a kubernetes target (--env), or point this one at a kubernetes target in gantry.yaml.',
    });
  }
  return { env, target };
}

/** The environment's current release as Kubernetes manifests (the target's own builders, validated) and an Argo CD Application for the folder. */
export async function exportManifests(config: GantryConfig, opts: ManifestExportOptions): Promise<ManifestExport> {
  const { env, target } = chooseEnvironment(config, opts.environment);
  const services = env.services.filter((s) => config.services[s]?.run !== undefined);
  const notes: string[] = [];
  let releases: ServiceRelease[];
  let source: string;
  if (opts.release !== undefined) {
    releases = releaseFromFlag(config, env, services, opts.release);
    source = `release ${opts.release.slice(0, 7)} from --release, images by tag`;
  } else {
    const live = await releaseFromServer(opts.live(), env, services, config);
    releases = live.releases;
    source = 'what the server says is live';
    if (live.missing.length > 0) notes.push(`not exported (nothing live in ${env.name} yet): ${live.missing.join(', ')}`);
  }
  const location = await repositoryLocation(opts.configFile, config.repository.url, opts.out);
  const built = releases.map((r) => serviceObjects(config, env, target, r));
  const application = argoApplication({ project: config.project.name, environment: env.name, namespace: target.namespace, repoURL: location.repoURL ?? REPO_PLACEHOLDER, path: location.path });
  if (location.repoURL === undefined) notes.push(`repository.url (${config.repository.url}) is a local repository without an origin remote: set spec.source.repoURL in ${APPLICATION_FILE}`);
  for (const need of built.flatMap((b) => b.needs)) notes.push(`provide Secret ${need.secret} in namespace ${target.namespace} (keys: ${need.keys.join(', ')}): secret values are never exported`);
  const files: ExportedFile[] = [
    { file: 'namespace.yaml', text: yamlDocs([namespaceObject(target)]) },
    ...built.filter((b) => b.objects.length > 0).map((b) => ({ file: `${b.service}.yaml`, text: yamlDocs(b.objects) })),
    { file: APPLICATION_FILE, text: yamlDocs([application]) },
  ];
  return { environment: env.name, source, files, notes };
}
