import { parseImageRef } from '../../artifacts/images/image-ref.js';
import { RegistryClient } from '../../artifacts/registry/index.js';
import type { RegistryConfig } from '../../config/types.js';
import { GantryError } from '../../errors/index.js';
import type { RevisionSpec } from '../target.js';

/**
 * Before anything is applied: the artifact must be an image by digest (`host/repo@sha256:…`) naming
 * the digest the deployment is for, and the registry must hold it. A cluster would otherwise take
 * the Deployment and leave its pods in ImagePullBackOff; the control plane pushed the image there,
 * so it can ask (as the docker target's agent does before it starts a container).
 */
export async function checkImage(spec: RevisionSpec, registries: Readonly<Record<string, RegistryConfig>>): Promise<void> {
  const { ref, digest } = spec.artifact;
  const at = ref.lastIndexOf('@');
  const named = at < 0 ? '' : ref.slice(at + 1);
  if (!/^sha256:[0-9a-f]{64}$/.test(named)) {
    throw new GantryError('ARTIFACT_REF_INVALID', `artifact ref "${ref}" is not an image by digest (host/repository@sha256:…)`, { where: 'artifact.ref', hint: 'A kubernetes target runs images by digest; give the service an image: in gantry.yaml.' });
  }
  if (named !== digest) {
    throw new GantryError('ARTIFACT_DIGEST_MISMATCH', `artifact ref "${ref}" names ${named.slice(0, 19)}…, not the digest ${digest.slice(0, 19)}… the deployment is for`, {
      where: 'artifact.ref',
      hint: 'The ref and the digest must name the same image; nothing was applied.',
    });
  }
  const image = parseImageRef(ref, 'artifact ref');
  const declared = Object.values(registries).find((r) => r.url === image.registry);
  const client = new RegistryClient({ url: `${declared?.plainHttp === true ? 'http' : 'https'}://${image.registry}`, ...(spec.pullAuth ? { credentials: spec.pullAuth } : {}) });
  if ((await client.headManifest(image.repository, digest)) === undefined) {
    throw new GantryError('ARTIFACT_NOT_FOUND', `registry ${image.registry} has no image ${image.repository}@${digest.slice(0, 19)}…`, {
      where: 'artifact.ref',
      hint: 'Publish the release to the registry first (its publish step); nothing was applied.',
    });
  }
}
