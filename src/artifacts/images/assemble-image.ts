import { sha256Digest } from '../digest.js';
import { bufferSource, type BlobPush, type BlobSource, type RegistryClient } from '../registry/index.js';
import { bundleEntries, compressLayer, DEFAULT_WORKDIR, knownCompression, layerTar, type BundleSource } from './app-layer.js';
import { readBaseImage, type LayerDescriptor } from './base-image.js';
import { imageConfigJson } from './image-config.js';
import { imageLabels, isoSeconds, type ImageProvenance } from './image-labels.js';
import { IMAGE_MEDIA, imageManifestJson } from './image-manifest.js';
import { digestRef } from './image-ref.js';
import { imageSbom } from './image-sbom.js';
import type { BuiltImage } from './built-image.js';

export interface AssembleInput {
  /** The registry the image is pushed to. */
  readonly registry: RegistryClient;
  /** The base's registry when it is another one (its layers are then copied, verified, once). */
  readonly baseRegistry?: RegistryClient;
  /** `host/repo:tag` or `host/repo@sha256:…`, read once and recorded by digest. */
  readonly base: string;
  readonly bundle: BundleSource;
  /** The repository the image goes to, on `registry`. */
  readonly repository: string;
  readonly provenance: ImageProvenance;
  readonly workdir?: string;
  /** The user's labels; the OCI labels of `provenance` win over them. */
  readonly labels?: Readonly<Record<string, string>>;
  /** Replaces the base's Cmd (the service's run command). */
  readonly cmd?: readonly string[];
  /** The service's package-lock.json, for the SBOM; missing is fine. */
  readonly lockfile?: string;
}

/**
 * Builds an image without a Docker engine, the way ko and jib do: the base image's layers, shared
 * by cross-repository mount (or found there already; copied from a base on another registry), plus one layer holding the bundle under
 * `workdir`, and a config derived from the base's. Every byte is a function of the input (the
 * commit's time stands in for "now"), so the same input gives the same digest. The SBOM is pushed
 * beside the image and returned.
 */
export async function assembleImage(input: AssembleInput): Promise<BuiltImage & { blobs: Readonly<Record<string, BlobPush>> }> {
  const { registry, repository } = input;
  const baseRegistry = input.baseRegistry ?? registry;
  const base = await readBaseImage(baseRegistry, input.base, registry.registry);
  const workdir = input.workdir ?? DEFAULT_WORKDIR;
  const { tar, diffId } = layerTar(await bundleEntries(input.bundle), workdir, input.provenance.created);
  const known = knownCompression(diffId);
  // An unchanged layer the registry has: no need to compress it again (HEAD, then nothing sent).
  const reused = known !== undefined && (await registry.hasBlob(repository, known.digest));
  const layer = reused ? { diffId, ...known } : await compressLayer(tar, diffId);
  const created = isoSeconds(input.provenance.created);
  const config = imageConfigJson(base.config, {
    diffId,
    workdir,
    labels: imageLabels(input.provenance, input.labels),
    created: input.provenance.created,
    cmd: input.cmd,
    createdBy: `gantry: ${input.provenance.title} ${input.provenance.version} into ${workdir} (layer ${layer.digest})`,
  });
  const configDigest = sha256Digest(config);
  const manifest = imageManifestJson({
    config: { digest: configDigest, size: config.length },
    baseLayers: base.layers,
    layer,
    base: { name: `${base.registry}/${base.repository}`, digest: base.digest },
    created,
  });
  const blobs: Record<string, BlobPush> = {};
  const sameRegistry = baseRegistry.registry === registry.registry;
  for (const baseLayer of base.layers) {
    const source = pullingSource(baseRegistry, base.repository, baseLayer);
    blobs[baseLayer.digest] = await registry.pushBlob(repository, source, sameRegistry ? { mountFrom: base.repository } : {});
  }
  blobs[layer.digest] = 'data' in layer ? await registry.pushBlob(repository, bufferSource(layer.data)) : 'exists';
  blobs[configDigest] = await registry.pushBlob(repository, bufferSource(config));
  // The manifest goes last: once the registry has it, every blob it names is there.
  const digest = await registry.putManifest(repository, sha256Digest(manifest), manifest);
  const image = { digest, size: manifest.length, mediaType: IMAGE_MEDIA.manifest };
  const sbom = await imageSbom(registry, repository, image, input.provenance, { ref: input.base, digest: base.digest }, input.lockfile);
  return { ...image, repository, ref: digestRef(registry.registry, repository, digest), baseDigest: base.digest, sbom, blobs };
}

/** A base layer read from the base's repository only when the registry lacks it and would not mount it. */
function pullingSource(registry: RegistryClient, from: string, layer: LayerDescriptor): BlobSource {
  let data: Promise<Buffer> | undefined;
  return {
    digest: layer.digest,
    size: layer.size,
    read: async (offset, length) => (await (data ??= registry.pullBlob(from, layer.digest))).subarray(offset, offset + length),
  };
}
