import type { RegistryClient } from '../registry/index.js';

/** A tag Gantry pushed, for the run to record (a registry keeps no history of where a tag pointed). */
export interface PushedTag {
  readonly tag: string;
  readonly digest: string;
  readonly immutable: boolean;
}

/**
 * Points tags at an image already in the repository. With `immutable`, every tag is looked at
 * first and none is pushed when any names another digest (REGISTRY_TAG_IMMUTABLE from the client's
 * pushTag); the same digest again is fine, so a retried step succeeds.
 */
export async function tagImage(
  client: RegistryClient,
  repository: string,
  digest: string,
  tags: readonly string[],
  options: { immutable?: boolean } = {},
): Promise<PushedTag[]> {
  const immutable = options.immutable ?? false;
  const manifest = await client.getManifest(repository, digest);
  if (immutable) {
    // Look at all before moving any: a refusal must not leave half the tags pushed.
    for (const tag of tags) {
      const current = await client.headManifest(repository, tag);
      // pushTag looks again and refuses with REGISTRY_TAG_IMMUTABLE, naming both digests.
      if (current !== undefined && current.digest !== digest) await client.pushTag(repository, tag, manifest.bytes, { immutable });
    }
  }
  const pushed: PushedTag[] = [];
  for (const tag of tags) {
    await client.pushTag(repository, tag, manifest.bytes, { immutable });
    pushed.push({ tag, digest, immutable });
  }
  return pushed;
}

/**
 * The tags of a release in an environment, as the reference pipeline names them: the commit sha
 * and `<env>-latest` move; `<env>-r<N>` (the environment's revision) never does.
 */
export function releaseTags(release: { readonly sha: string; readonly environment: string; readonly revision?: number }): { movable: string[]; immutable: string[] } {
  return {
    movable: [release.sha, `${release.environment}-latest`],
    immutable: release.revision === undefined ? [] : [`${release.environment}-r${release.revision}`],
  };
}
