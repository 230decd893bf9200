import { bufferSource } from './blob-source.js';
import { manifestReferences } from './manifest-references.js';
import type { BlobPush, RegistryClient } from './registry-client.js';
import { mismatch } from './manifests.js';
import type { RegistryError } from './registry-error.js';
import type { BlobSource } from './blob-source.js';

export interface RepositoryOf {
  readonly client: RegistryClient;
  readonly repository: string;
}

export interface CopyReport {
  readonly digest: string;
  /** How each blob got there, by digest. */
  readonly blobs: Readonly<Record<string, BlobPush>>;
}

/**
 * Copies a manifest by digest (an index with every manifest it names, or an image manifest) with
 * its blobs to another repository, on the same registry (blobs are mounted) or another one (pulled,
 * verified and uploaded; ones already there are skipped). Blobs go first, the manifest last, so a
 * manifest never names a missing blob; then the copy is looked up again and its digest checked.
 */
export async function copyByDigest(from: RepositoryOf, to: RepositoryOf, digest: string): Promise<CopyReport> {
  const blobs: Record<string, BlobPush> = {};
  await copyManifest(from, to, digest, blobs);
  const copied = await to.client.headManifest(to.repository, digest);
  if (copied?.digest !== digest) {
    throw mismatchAfterCopy(to, digest, copied?.digest ?? 'nothing');
  }
  return { digest, blobs };
}

async function copyManifest(from: RepositoryOf, to: RepositoryOf, digest: string, blobs: Record<string, BlobPush>): Promise<void> {
  const manifest = await from.client.getManifest(from.repository, digest);
  const refs = manifestReferences(manifest.bytes, `${from.client.registry}/${from.repository}@${digest}`);
  for (const child of refs.manifests) await copyManifest(from, to, child.digest, blobs);
  const sameRegistry = from.client.registry === to.client.registry;
  for (const blob of refs.blobs) {
    if (blobs[blob.digest] !== undefined) continue;
    if (sameRegistry) {
      const pushed = await to.client.pushBlob(to.repository, lazySource(from, blob.digest, blob.size), { mountFrom: from.repository });
      blobs[blob.digest] = pushed;
    } else if (await to.client.hasBlob(to.repository, blob.digest)) {
      blobs[blob.digest] = 'exists';
    } else {
      const data = await from.client.pullBlob(from.repository, blob.digest);
      blobs[blob.digest] = await to.client.pushBlob(to.repository, bufferSource(data));
    }
  }
  await to.client.putManifest(to.repository, digest, manifest.bytes);
}

/** A source read from the other repository only if the mount is refused and an upload is needed. */
function lazySource(from: RepositoryOf, digest: string, size: number): BlobSource {
  let data: Promise<Buffer> | undefined;
  return {
    digest,
    size,
    read: async (offset: number, length: number): Promise<Buffer> => {
      data ??= from.client.pullBlob(from.repository, digest);
      return (await data).subarray(offset, offset + length);
    },
  };
}

function mismatchAfterCopy(to: RepositoryOf, expected: string, actual: string): RegistryError {
  return mismatch(to.client.registry, to.repository, `copying ${expected} to ${to.client.registry}/${to.repository}: the copy reads back as ${actual}`, expected, actual);
}
