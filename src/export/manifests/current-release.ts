import type { EnvironmentConfig, GantryConfig } from '../../config/types.js';
import { GantryError, UsageError } from '../../errors/index.js';

/** What one service of the environment runs: the commit, the image, and Gantry's revision when the server told it. */
export interface ServiceRelease {
  readonly service: string;
  readonly release: string;
  /** `host/repository@sha256:…` from the server, or `host/repository:<sha>` (the tag Gantry pushes for each release). */
  readonly image: string;
  /** The image's digest; '' when the image is named by its tag. */
  readonly digest: string;
  readonly revision: number;
  readonly run: number | undefined;
}

/** The slice of the CLI's API client this module uses. */
export interface LiveSource {
  request<T>(method: 'GET', path: string): Promise<T>;
}

interface LiveView {
  readonly revision: number;
  readonly release: string;
  readonly image?: string | null;
  readonly runId: number | null;
}
interface EnvironmentsView {
  readonly environments: ReadonlyArray<{ readonly name: string; readonly services: ReadonlyArray<{ readonly service: string; readonly live: LiveView | null }> }>;
}

const SHA = /^[0-9a-f]{7,64}$/;

/** The image of a release by the tag Gantry's image step pushes (the commit id), in the registry it builds into. */
function taggedImage(config: GantryConfig, env: EnvironmentConfig, service: string, sha: string): string {
  const image = config.services[service]?.image;
  const registry = config.registries[image?.registry ?? ''];
  if (image === undefined || registry === undefined) {
    throw new GantryError('CONFIG_IMAGE_MISSING', `service ${service} has no image in a declared registry, so ${env.name} has no image of it to reference`, { where: `services.${service}.image`, hint: 'Give the service an image: (a kubernetes target runs images).' });
  }
  return `${registry.url}/${image.repository}:${sha}`;
}

/** `--release <sha>`: every service of the environment at that commit, its image by the tag Gantry pushed for it. */
export function releaseFromFlag(config: GantryConfig, env: EnvironmentConfig, services: readonly string[], sha: string): ServiceRelease[] {
  if (!SHA.test(sha)) throw new UsageError('USAGE', `--release ${JSON.stringify(sha)} is not a commit id`, { hint: 'Pass the full commit id (40 hex digits) the images were built from, as `gantry history` shows its start.' });
  return services.map((service) => ({ service, release: sha, image: taggedImage(config, env, service, sha), digest: '', revision: 0, run: undefined }));
}

/** What the server says is live in the environment (GET /api/v1/environments): each service's last successful deployment. */
export async function releaseFromServer(source: LiveSource, env: EnvironmentConfig, services: readonly string[], config: GantryConfig): Promise<{ releases: ServiceRelease[]; missing: string[] }> {
  const view = await source.request<EnvironmentsView>('GET', '/api/v1/environments').catch((error: unknown) => {
    if (!(error instanceof GantryError) || error.code !== 'SERVER_UNREACHABLE') throw error;
    throw new GantryError(error.code, error.message, { cause: error, ...(error.where === undefined ? {} : { where: error.where }), hint: `${error.hint ?? ''} Or pass --release <sha> to export that commit without a server.`.trim() });
  });
  const live = new Map((view.environments.find((e) => e.name === env.name)?.services ?? []).map((s) => [s.service, s.live]));
  const releases: ServiceRelease[] = [];
  const missing: string[] = [];
  for (const service of services) {
    const l = live.get(service);
    if (!l) {
      missing.push(service);
      continue;
    }
    // A server from before deployments carried their image: the release's tag names the same image.
    const image = l.image ?? taggedImage(config, env, service, l.release);
    const digest = image.includes('@') ? image.slice(image.indexOf('@') + 1) : '';
    releases.push({ service, release: l.release, image, digest, revision: l.revision, run: l.runId ?? undefined });
  }
  if (releases.length === 0) {
    throw new GantryError('EXPORT_NO_RELEASE', `nothing is live in ${env.name} yet (no successful deployment of ${services.join(', ')})`, { where: `environments.${env.name}`, hint: 'Deploy the environment first, or pass --release <sha> to export that commit.' });
  }
  return { releases, missing };
}
