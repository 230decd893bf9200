import { GantryError } from '../../errors/index.js';

const DIGEST = /^sha256:[0-9a-f]{64}$/;
/** Distribution's grammar, loosely: a registry host (with a port), path components, no tag. */
const REPOSITORY = /^[a-z0-9.-]+(?::\d+)?(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)+$/;

export interface ImageRef {
  /** `host/repo` */
  readonly repository: string;
  readonly digest: string;
  /** `host/repo@sha256:…`, what the engine pulls. */
  readonly ref: string;
}

/**
 * Reads an image reference the docker runtime may run: a registry repository pinned by digest,
 * naming `digest`. A tag (`:latest`, `:v1`) moves, so it is refused before anything is pulled.
 */
export function parseImageRef(ref: string, digest: string): ImageRef {
  if (!DIGEST.test(digest)) throw invalid(`artifact digest "${digest}" is not sha256:<64 hex>`, 'The control plane sends the image manifest digest the build recorded.');
  const at = ref.lastIndexOf('@');
  const named = at < 0 ? '' : ref.slice(at + 1);
  if (!DIGEST.test(named)) throw invalid(`image reference "${ref}" is not pinned by digest`, 'The docker runtime runs host/repo@sha256:<64 hex> only: a tag may move between the check and the pull.');
  if (named !== digest) {
    throw new GantryError('ARTIFACT_DIGEST_MISMATCH', `image reference "${ref}" names ${named.slice(0, 19)}…, not the digest ${digest.slice(0, 19)}… the deployment is for`, {
      where: 'artifact.ref',
      hint: 'The ref and the digest must name the same image; nothing was started.',
    });
  }
  const repository = ref.slice(0, at);
  if (repository.startsWith('oci-layout:')) throw invalid(`artifact ref "${ref}" is an OCI layout, which the docker runtime does not run`, 'Run this agent with --runtime process for bundles, or deploy an image (services.<name>.image in gantry.yaml).');
  if (!REPOSITORY.test(repository)) throw invalid(`image reference "${ref}" does not name a registry repository (host/repo)`, 'E.g. registry.example.com:5000/team/api@sha256:….');
  return { repository, digest, ref };
}

const invalid = (message: string, hint: string): GantryError => new GantryError('ARTIFACT_REF_INVALID', message, { where: 'artifact.ref', hint });
