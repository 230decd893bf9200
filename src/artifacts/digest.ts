import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { ArtifactError } from './artifact-error.js';

/** The only algorithm Gantry writes; OCI allows others, but one keeps blob paths predictable. */
const DIGEST_PATTERN = /^sha256:([a-f0-9]{64})$/;

/** `sha256:<hex>` of some bytes: the name of a blob and the identity of an artifact. */
export function sha256Digest(data: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** Hashes a file as a stream, so verifying a large layer does not hold it in memory. */
export async function sha256File(path: string): Promise<{ digest: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path)) {
    const bytes = chunk as Buffer;
    hash.update(bytes);
    size += bytes.length;
  }
  return { digest: `sha256:${hash.digest('hex')}`, size };
}

/** The hex part of a digest; refuses anything else so that a digest can never become a path like `../x`. */
export function digestHex(digest: string): string {
  const hex = DIGEST_PATTERN.exec(digest)?.[1];
  if (hex === undefined) {
    throw new ArtifactError('ARTIFACT_REF_INVALID', `"${digest}" is not a sha256 digest`, {
      hint: 'Digests look like sha256:<64 lower-case hex digits>, as returned when the artifact was stored.',
    });
  }
  return hex;
}
