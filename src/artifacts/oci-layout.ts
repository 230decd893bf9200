import { ArtifactError } from './artifact-error.js';
import { assertServiceName, parseArtifactRef } from './artifact-ref.js';
import { BlobStore } from './blob-store.js';
import type { Bundle } from './bundle.js';
import { bundleConfigJson, bundleManifestJson, parseBundleConfig, parseBundleManifest } from './bundle-manifest.js';
import { IndexFile } from './index-file.js';
import { applyTag, listTags } from './index-tags.js';
import type { TagEntry } from './index-tags.js';
import { assertLayout, ensureLayoutMarker } from './layout-marker.js';
import { extractSafely } from './safe-extract.js';

export interface StoredArtifact {
  readonly service: string;
  readonly manifestDigest: string;
  readonly layerDigest: string;
  /** Size of the layer (the .tar.gz) in bytes. */
  readonly size: number;
}

/**
 * Release artifacts in an OCI image layout folder (`oci-layout`, `index.json`, `blobs/sha256/`), so
 * any OCI tool (skopeo, oras, crane) can read or push them. Each artifact is an image manifest with
 * a small config naming the service and one tar+gzip layer holding the bundle.
 *
 * Tags live in index.json, one descriptor per `<service>:<tag>` with the full ref as
 * `org.opencontainers.image.ref.name`; an immutable tag is marked `dev.gantry.immutable: "true"` on
 * that descriptor (see index-tags.ts for the rules).
 */
export class OciLayout {
  private readonly blobs: BlobStore;
  private readonly index: IndexFile;

  constructor(readonly root: string) {
    this.blobs = new BlobStore(root);
    this.index = new IndexFile(root);
  }

  /** Creates the layout, or checks an existing one. Safe to call every time the server starts. */
  async init(): Promise<void> {
    await ensureLayoutMarker(this.root);
    await this.index.create();
  }

  /** Stores a bundle for a service; untagged until `tag`. The same bundle and annotations give the same manifest digest. */
  async put(service: string, bundle: Bundle, annotations: Readonly<Record<string, string>> = {}): Promise<StoredArtifact> {
    assertServiceName(service);
    await assertLayout(this.root);
    const layer = await this.blobs.write(bundle.data, bundle);
    const config = await this.blobs.write(bundleConfigJson(service));
    // The manifest goes last: once it exists, everything it names exists too.
    const manifest = await this.blobs.write(bundleManifestJson(config, layer, annotations));
    return { service, manifestDigest: manifest.digest, layerDigest: layer.digest, size: layer.size };
  }

  /** Points `<service>:<tag>` at a manifest of that service. An immutable tag never moves (`ARTIFACT_TAG_IMMUTABLE`). */
  async tag(ref: string, manifestDigest: string, options: { immutable?: boolean } = {}): Promise<void> {
    const { service } = parseArtifactRef(ref);
    const loaded = await this.load(manifestDigest);
    if (loaded.service !== service) {
      throw new ArtifactError('ARTIFACT_REF_INVALID', `cannot tag ${ref}: ${manifestDigest} is an artifact of ${loaded.service}`, {
        hint: `Tag it as ${loaded.service}:<tag>, or tag the manifest stored for ${service}.`,
      });
    }
    await this.index.update((index) => applyTag(index, ref, { digest: manifestDigest, size: loaded.manifestSize }, options.immutable ?? false));
  }

  /** The manifest digest a tag points at, or undefined when there is no such tag. */
  async resolve(ref: string): Promise<string | undefined> {
    parseArtifactRef(ref);
    return (await this.tags()).find((t) => t.ref === ref)?.digest;
  }

  async tags(): Promise<TagEntry[]> {
    return listTags(await this.index.read());
  }

  async manifest(manifestDigest: string): Promise<{ layerDigest: string; size: number; service: string }> {
    const { layer, service } = await this.load(manifestDigest);
    return { layerDigest: layer.digest, size: layer.size, service };
  }

  /** Re-hashes the manifest, config and layer blobs; a damaged one throws `ARTIFACT_DIGEST_MISMATCH` naming it. */
  async verify(manifestDigest: string): Promise<void> {
    const { layer } = await this.load(manifestDigest);
    await this.blobs.verify(layer.digest, layer.size);
  }

  /**
   * Verifies, then extracts the layer into `dest` (created if missing). The layer is hashed in
   * memory and those same bytes are extracted, so nothing can change between check and use.
   */
  async unpack(manifestDigest: string, dest: string): Promise<void> {
    const { layer } = await this.load(manifestDigest);
    const data = await this.blobs.read(layer.digest, layer.size);
    await extractSafely(data, dest);
  }

  /** Reads the manifest and its config, both re-hashed on read (they are small). */
  private async load(manifestDigest: string): Promise<{ manifestSize: number; service: string; layer: { digest: string; size: number } }> {
    const data = await this.blobs.read(manifestDigest);
    const manifest = parseBundleManifest(data, this.blobs.pathOf(manifestDigest));
    const configData = await this.blobs.read(manifest.config.digest, manifest.config.size);
    const { service } = parseBundleConfig(configData, this.blobs.pathOf(manifest.config.digest));
    return { manifestSize: data.length, service, layer: manifest.layers[0] };
  }
}
