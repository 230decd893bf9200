import { ArtifactError } from './artifact-error.js';
import { BundleConfigSpec, ManifestSpec, MediaType } from './oci-types.js';
import type { ImageManifest } from './oci-types.js';

/**
 * The blobs that describe a bundle. Serialised with a fixed key order and sorted annotations, and
 * without timestamps, so that storing the same bundle twice gives the same manifest digest.
 */
export function bundleConfigJson(service: string): Buffer {
  return Buffer.from(JSON.stringify({ service }));
}

export function bundleManifestJson(
  config: { digest: string; size: number },
  layer: { digest: string; size: number },
  annotations: Readonly<Record<string, string>>,
): Buffer {
  const sorted = Object.keys(annotations).sort().map((key) => [key, annotations[key] ?? ''] as const);
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MediaType.Manifest,
    config: { mediaType: MediaType.BundleConfig, digest: config.digest, size: config.size },
    layers: [{ mediaType: MediaType.Layer, digest: layer.digest, size: layer.size }],
    ...(sorted.length === 0 ? {} : { annotations: Object.fromEntries(sorted) }),
  };
  return Buffer.from(JSON.stringify(manifest));
}

/** A manifest blob that is a Gantry bundle manifest: one gzip layer and a bundle config. */
export function parseBundleManifest(data: Buffer, where: string): ImageManifest & { layers: [ImageManifest['layers'][number]] } {
  const manifest = ManifestSpec.safeParse(parseJson(data, where));
  const layer = manifest.success ? manifest.data.layers[0] : undefined;
  if (!manifest.success || !layer || manifest.data.config.mediaType !== MediaType.BundleConfig || layer.mediaType !== MediaType.Layer) {
    throw notBundle(where, 'it is not an image manifest with a bundle config and one tar+gzip layer');
  }
  return { ...manifest.data, layers: [layer] };
}

export function parseBundleConfig(data: Buffer, where: string): { service: string } {
  const config = BundleConfigSpec.safeParse(parseJson(data, where));
  if (!config.success) throw notBundle(where, 'its config has no service');
  return { service: config.data.service };
}

function parseJson(data: Buffer, where: string): unknown {
  try {
    return JSON.parse(data.toString('utf8'));
  } catch (error: unknown) {
    throw notBundle(where, 'it is not JSON', error);
  }
}

function notBundle(where: string, problem: string, cause?: unknown): ArtifactError {
  return new ArtifactError('ARTIFACT_LAYOUT_INVALID', `the blob ${where} is not a Gantry bundle manifest: ${problem}`, {
    where,
    cause,
    hint: 'Pass the manifest digest that put() returned (or resolve() a tag), not a layer or config digest.',
  });
}
