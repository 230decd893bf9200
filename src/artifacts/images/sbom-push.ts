import { sha256Digest } from '../digest.js';
import { bufferSource, type RegistryClient } from '../registry/index.js';
import { IMAGE_MEDIA } from './image-manifest.js';
import { SBOM_MEDIA_TYPE } from './sbom.js';

/** The SBOM as kept beside an image: the document, its digest, and the manifest that carries it. */
export interface StoredSbom {
  readonly json: string;
  /** sha256 of the JSON document (the artifact's layer). */
  readonly digest: string;
  /** The artifact manifest in the registry. */
  readonly manifestDigest: string;
  /** `sha256-<hex of the image digest>.sbom`. */
  readonly tag: string;
}

/** OCI 1.1's empty config: an artifact that is not a runnable image. */
const EMPTY_CONFIG = Buffer.from('{}');
const EMPTY_MEDIA = 'application/vnd.oci.empty.v1+json';

/** The tag cosign and oras give an image's attachment: distribution 2.8 has no referrers API to find it by `subject`. */
export const sbomTag = (imageDigest: string): string => `${imageDigest.replace(':', '-')}.sbom`;

/**
 * Stores an SBOM next to its image as an OCI artifact manifest (`artifactType` CycloneDX, the
 * document as its one layer, `subject` naming the image), tagged `sha256-<hex>.sbom`. Registries
 * with the referrers API also list it there through `subject`.
 */
export async function pushSbom(
  client: RegistryClient,
  repository: string,
  image: { readonly digest: string; readonly size: number; readonly mediaType: string },
  sbom: { readonly json: string; readonly digest: string },
  created: string,
): Promise<StoredSbom> {
  const document = Buffer.from(sbom.json);
  await client.pushBlob(repository, bufferSource(EMPTY_CONFIG));
  await client.pushBlob(repository, bufferSource(document));
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: IMAGE_MEDIA.manifest,
      artifactType: SBOM_MEDIA_TYPE,
      config: { mediaType: EMPTY_MEDIA, digest: sha256Digest(EMPTY_CONFIG), size: EMPTY_CONFIG.length, data: EMPTY_CONFIG.toString('base64') },
      layers: [{ mediaType: SBOM_MEDIA_TYPE, digest: sbom.digest, size: document.length }],
      subject: { mediaType: image.mediaType, digest: image.digest, size: image.size },
      annotations: { 'org.opencontainers.image.created': created },
    }),
  );
  const tag = sbomTag(image.digest);
  // The tag is a function of the image digest and the SBOM of a digest does not change: movable is fine.
  const manifestDigest = await client.pushTag(repository, tag, manifest);
  return { json: sbom.json, digest: sbom.digest, manifestDigest, tag };
}
