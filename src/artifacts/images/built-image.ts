import type { StoredSbom } from './sbom-push.js';

/** An image in the registry, as both build kinds return it for the run to record. */
export interface BuiltImage {
  /** The image manifest's digest. */
  readonly digest: string;
  readonly repository: string;
  /** `host/repository@sha256:…`: how a deployment names the image. */
  readonly ref: string;
  /** The digest the base reference resolved to, when known. */
  readonly baseDigest: string | undefined;
  /** Size of the manifest in bytes. */
  readonly size: number;
  readonly mediaType: string;
  readonly sbom: StoredSbom;
}
