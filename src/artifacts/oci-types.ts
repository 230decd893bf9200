import { z } from 'zod';

/** Media types and annotation keys of the OCI image spec (v1.1) that the layout uses. */
export const MediaType = {
  Index: 'application/vnd.oci.image.index.v1+json',
  Manifest: 'application/vnd.oci.image.manifest.v1+json',
  Layer: 'application/vnd.oci.image.layer.v1.tar+gzip',
  /** Ours: a bundle is not a runnable image, so its config is not an image config. OCI 1.1 lets
   * the config media type name the kind of artifact. */
  BundleConfig: 'application/vnd.gantry.bundle.config.v1+json',
} as const;

export const Annotation = {
  /** Standard: the name of a tag on an index.json descriptor. We store the full `<service>:<tag>`. */
  RefName: 'org.opencontainers.image.ref.name',
  /**
   * Ours: where immutability is recorded. It sits on the index.json descriptor of the tag, since it
   * is a property of the name, not of the artifact: one manifest can have an immutable commit tag
   * and a movable `staging-latest` tag at once.
   */
  Immutable: 'dev.gantry.immutable',
} as const;

export const OCI_LAYOUT_FILE = 'oci-layout';
export const OCI_LAYOUT_VERSION = '1.0.0';

const Digest = z.string().regex(/^sha256:[a-f0-9]{64}$/);

// Loose objects: index.json may carry fields written by other OCI tools, and rewriting it must keep them.
export const DescriptorSpec = z.looseObject({
  mediaType: z.string(),
  digest: Digest,
  size: z.number().int().nonnegative(),
  annotations: z.record(z.string(), z.string()).optional(),
});

export const IndexSpec = z.looseObject({
  schemaVersion: z.literal(2),
  mediaType: z.literal(MediaType.Index).optional(),
  manifests: z.array(DescriptorSpec),
});

export const ManifestSpec = z.looseObject({
  schemaVersion: z.literal(2),
  mediaType: z.literal(MediaType.Manifest),
  config: DescriptorSpec,
  layers: z.array(DescriptorSpec).length(1),
  annotations: z.record(z.string(), z.string()).optional(),
});

export const BundleConfigSpec = z.looseObject({ service: z.string() });
export const LayoutMarkerSpec = z.looseObject({ imageLayoutVersion: z.string() });

export type Descriptor = z.infer<typeof DescriptorSpec>;
export type ImageIndex = z.infer<typeof IndexSpec>;
export type ImageManifest = z.infer<typeof ManifestSpec>;
