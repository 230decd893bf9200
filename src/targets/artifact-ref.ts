import { GantryError } from '../errors/index.js';

const DIGEST = /^sha256:[0-9a-f]{64}$/;
const OCI_LAYOUT = 'oci-layout:';

/** An artifact in an OCI image layout folder, as the local target reads it: `oci-layout:<folder>@<digest>`. */
export function ociLayoutRef(folder: string, digest: string): string {
  return `${OCI_LAYOUT}${folder}@${digest}`;
}

/** What a target fetches: from an OCI image layout on its machine, or (later) an image registry. */
export type ArtifactSource = { readonly kind: 'oci-layout'; readonly folder: string; readonly digest: string };

/**
 * Reads an artifact reference and checks it names `digest`: a reference to anything else is
 * refused before the target fetches a byte (the fetch then verifies the content against it).
 */
export function parseArtifactRef(ref: string, digest: string): ArtifactSource {
  if (!DIGEST.test(digest)) throw refInvalid(`artifact digest "${digest}" is not sha256:<64 hex>`, 'The control plane sends the manifest digest the build recorded.');
  const at = ref.lastIndexOf('@');
  const named = at < 0 ? '' : ref.slice(at + 1);
  if (!DIGEST.test(named)) throw refInvalid(`artifact ref "${ref}" does not end in @sha256:<64 hex>`, 'A ref names its artifact by digest, e.g. oci-layout:/var/lib/gantry/artifacts@sha256:….');
  if (named !== digest) {
    throw new GantryError('ARTIFACT_DIGEST_MISMATCH', `artifact ref "${ref}" names ${named.slice(0, 19)}…, not the digest ${digest.slice(0, 19)}… the deployment is for`, {
      where: 'artifact.ref',
      hint: 'The ref and the digest must name the same artifact; nothing was started.',
    });
  }
  const location = ref.slice(0, at);
  if (location.startsWith(OCI_LAYOUT) && location.length > OCI_LAYOUT.length) return { kind: 'oci-layout', folder: location.slice(OCI_LAYOUT.length), digest };
  throw refInvalid(`artifact ref "${ref}" names a source this target cannot fetch from`, 'The local target reads oci-layout:<folder>@<digest>; image registries come with the container targets.');
}

const refInvalid = (message: string, hint: string): GantryError => new GantryError('ARTIFACT_REF_INVALID', message, { where: 'artifact.ref', hint });
