import type { RegistryClient } from '../registry/index.js';
import { isoSeconds, type ImageProvenance } from './image-labels.js';
import { readLockedPackages } from './npm-lock-packages.js';
import { buildSbom } from './sbom.js';
import { pushSbom, type StoredSbom } from './sbom-push.js';

/** The SBOM of an image, made from its provenance, base and lock file, and pushed beside it: both build kinds end here. */
export async function imageSbom(
  registry: RegistryClient,
  repository: string,
  image: { readonly digest: string; readonly size: number; readonly mediaType: string },
  provenance: ImageProvenance,
  base: { readonly ref: string; readonly digest: string } | undefined,
  lockfile: string | undefined,
): Promise<StoredSbom> {
  const packages = lockfile === undefined ? undefined : await readLockedPackages(lockfile);
  const sbom = buildSbom({ service: provenance.title, version: provenance.version, revision: provenance.revision, created: provenance.created, base, packages });
  return pushSbom(registry, repository, image, sbom, isoSeconds(provenance.created));
}
