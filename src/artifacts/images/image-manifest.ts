import type { LayerDescriptor } from './base-image.js';

export const IMAGE_MEDIA = {
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
} as const;

/** Docker's layer types have OCI equivalents with the same bytes; an OCI manifest names the OCI ones. */
const OCI_LAYER_TYPE: Readonly<Record<string, string>> = {
  'application/vnd.docker.image.rootfs.diff.tar.gzip': 'application/vnd.oci.image.layer.v1.tar+gzip',
  'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip': 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
};

export interface ManifestInput {
  readonly config: { readonly digest: string; readonly size: number };
  readonly baseLayers: readonly LayerDescriptor[];
  readonly layer: { readonly digest: string; readonly size: number };
  /** The base as the OCI annotations `org.opencontainers.image.base.name/.digest` record it. */
  readonly base: { readonly name: string; readonly digest: string };
  readonly created: string;
}

/** An OCI image manifest with a fixed key order, so the same input gives the same digest. */
export function imageManifestJson(input: ManifestInput): Buffer {
  const layers = input.baseLayers.map((l) => ({
    mediaType: OCI_LAYER_TYPE[l.mediaType] ?? l.mediaType,
    digest: l.digest,
    size: l.size,
    ...(l.urls === undefined ? {} : { urls: [...l.urls] }),
  }));
  layers.push({ mediaType: IMAGE_MEDIA.layerGzip, digest: input.layer.digest, size: input.layer.size });
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: IMAGE_MEDIA.manifest,
      config: { mediaType: IMAGE_MEDIA.config, digest: input.config.digest, size: input.config.size },
      layers,
      annotations: {
        'org.opencontainers.image.base.digest': input.base.digest,
        'org.opencontainers.image.base.name': input.base.name,
        'org.opencontainers.image.created': input.created,
      },
    }),
  );
}
