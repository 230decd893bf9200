import { BlobStore } from '../blob-store.js';
import { parseBundleManifest } from '../bundle-manifest.js';
import type { OciLayout } from '../oci-layout.js';
import { fileSource } from './blob-source.js';
import type { BlobPush, RegistryClient } from './registry-client.js';
import { RegistryError } from './registry-error.js';

export interface LayoutPush {
  readonly digest: string;
  readonly blobs: Readonly<Record<string, BlobPush>>;
}

/**
 * Pushes a bundle artifact of the local OCI layout to a registry repository: its config and layer
 * (each re-hashed from the layout first, skipped when the registry has it), then its manifest by
 * digest, then `tag` when given (refused when `immutable` and the tag names another digest).
 * The registry holds the very bytes of the layout, so the manifest digest is the same.
 */
export async function pushLayoutArtifact(
  layout: OciLayout,
  digest: string,
  client: RegistryClient,
  repository: string,
  options: { tag?: string; immutable?: boolean } = {},
): Promise<LayoutPush> {
  const blobStore = new BlobStore(layout.root);
  const bytes = await blobStore.read(digest);
  const manifest = parseBundleManifest(bytes, blobStore.pathOf(digest));
  const blobs: Record<string, BlobPush> = {};
  for (const blob of [manifest.config, ...manifest.layers]) {
    await blobStore.verify(blob.digest, blob.size);
    blobs[blob.digest] = await client.pushBlob(repository, fileSource(blobStore.pathOf(blob.digest), blob.digest, blob.size));
  }
  await client.putManifest(repository, digest, bytes);
  if (options.tag !== undefined) await client.pushTag(repository, options.tag, bytes, { immutable: options.immutable ?? false });
  return { digest, blobs };
}

/**
 * Pulls a bundle artifact by manifest digest from a registry into the local layout: blobs first,
 * each checked against its digest and descriptor size, the manifest last (once it is in the
 * layout, everything it names is). The layout then reads, verifies and unpacks it as one it built.
 */
export async function pullLayoutArtifact(client: RegistryClient, repository: string, digest: string, layout: OciLayout): Promise<void> {
  await layout.init();
  const blobStore = new BlobStore(layout.root);
  const fetched = await client.getManifest(repository, digest);
  const manifest = parseBundleManifest(fetched.bytes, `${client.registry}/${repository}@${digest}`);
  for (const blob of [manifest.config, ...manifest.layers]) {
    const data = await client.pullBlob(repository, blob.digest);
    if (data.length !== blob.size) {
      throw new RegistryError('REGISTRY_DIGEST_MISMATCH', `pulling ${client.registry}/${repository}@${digest}: blob ${blob.digest} has ${data.length} bytes where the manifest says ${blob.size}`, {
        hint: 'The manifest does not describe its blob; do not deploy it. Push the artifact again from the artifact store that built it.',
        where: `${client.registry}/${repository}`,
        details: { registry: client.registry, repository, blob: blob.digest, expectedSize: blob.size, actualSize: data.length },
      });
    }
    await blobStore.write(data);
  }
  await blobStore.write(fetched.bytes);
}
