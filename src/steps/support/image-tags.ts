import { releaseTags, tagImage } from '../../artifacts/images/index.js';
import type { DeployedImage } from '../../domain/deployment.js';
import type { StepContext } from '../../engine/step-handler.js';
import type { SecretSource } from '../../secrets/source.js';
import type { Store } from '../../store/store.js';
import { registryClient } from './registry-access.js';

/**
 * A live deployment's image tags in the environment's registry: `<env>-latest` moves to it, and
 * `<env>-r<N>` is pushed immutable where the environment's tags are (production-like): Gantry
 * refuses to move it (the registry would not), and records every tag it pushed.
 */
export async function tagDeployedImage(store: Store, secrets: SecretSource, ctx: StepContext, environment: string, revision: number, image: DeployedImage, immutable: boolean): Promise<void> {
  const client = registryClient({ name: image.registry, url: image.registryUrl, plainHttp: image.plainHttp, username: image.username, passwordSecret: image.passwordSecret }, secrets, environment);
  const tags = releaseTags({ sha: ctx.run.sha, environment, revision });
  const pushed = [
    ...(await tagImage(client, image.repository, image.digest, tags.movable.filter((t) => t !== ctx.run.sha))),
    ...(await tagImage(client, image.repository, image.digest, tags.immutable, { immutable })),
  ];
  for (const p of pushed) await store.images.recordPush({ registry: image.registry, repository: image.repository, tag: p.tag, digest: p.digest, runId: ctx.run.id, pushedAt: ctx.clock.now() });
  ctx.log.info(`tagged ${image.registryUrl}/${image.repository}@${image.digest.slice(0, 19)}… as ${pushed.map((p) => `${p.tag}${p.immutable ? ' (immutable)' : ''}`).join(', ')}`);
}
