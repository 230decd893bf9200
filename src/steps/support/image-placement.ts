import { copyByDigest } from '../../artifacts/registry/index.js';
import type { DeployedImage } from '../../domain/deployment.js';
import type { StepContext } from '../../engine/step-handler.js';
import type { DeployImage } from '../../engine/step-specs/index.js';
import { GantryError } from '../../errors/index.js';
import type { SecretSource } from '../../secrets/source.js';
import type { Store } from '../../store/store.js';
import { registryClient } from './registry-access.js';

/**
 * The image a deployment runs, in the registry its environment pulls from: the one the release's
 * image step built, copied there by digest when the environment has its own registry (blobs, then
 * the manifest, then the digest checked again: promotion never rebuilds). Each copy is recorded.
 */
export async function placeImage(store: Store, secrets: SecretSource, ctx: StepContext, environment: string, service: string, releaseId: number, image: DeployImage): Promise<DeployedImage> {
  const built = await store.images.forRelease(releaseId, service);
  if (!built) {
    throw new GantryError('RELEASE_NOT_FOUND', `release ${ctx.run.sha.slice(0, 7)} has no image of ${service}`, { hint: 'The image step builds it after the bundle; a release built before the service had `image:` must be built again (dispatch it with --ref).' });
  }
  const { from, to, repository } = image;
  if (from.url !== to.url || built.repository !== repository) {
    const source = { client: registryClient(from, secrets, null), repository: built.repository };
    const target = { client: registryClient(to, secrets, environment), repository };
    if ((await target.client.headManifest(repository, built.digest))?.digest !== built.digest) {
      ctx.log.info(`copying ${service} image ${built.digest.slice(0, 19)}… from ${from.name} (${from.url}) to ${to.name} (${to.url}) by digest`);
      const copy = await copyByDigest(source, target, built.digest);
      ctx.log.info(`copied: ${Object.keys(copy.blobs).length} blobs; ${to.url}/${repository}@${copy.digest} verified`);
      await store.images.recordPush({ registry: to.name, repository, tag: null, digest: copy.digest, runId: ctx.run.id, pushedAt: ctx.clock.now() });
    }
  }
  return { registry: to.name, registryUrl: to.url, plainHttp: to.plainHttp, username: to.username, passwordSecret: to.passwordSecret, repository, digest: built.digest };
}
