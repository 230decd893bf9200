import { ImageError } from './image-error.js';

/** A parsed `host[:port]/repository:tag` or `host[:port]/repository@sha256:…`. */
export interface ImageRef {
  /** host[:port], as the registry client names itself. */
  readonly registry: string;
  readonly repository: string;
  /** A tag or a `sha256:` digest. */
  readonly reference: string;
}

// A first component with a dot or a colon (or `localhost`) is a host, as Docker decides it.
const REF = /^([a-z0-9.-]+(?::[0-9]+)?|\[[0-9a-f:]+\](?::[0-9]+)?)\/([a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*)(?::([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?(?:@(sha256:[a-f0-9]{64}))?$/;

/**
 * Reads an image reference that names its registry. With both a tag and a digest the digest wins
 * (as Docker pulls it): the tag is only a note for people.
 */
export function parseImageRef(ref: string, what = 'image reference'): ImageRef {
  const match = REF.exec(ref);
  const host = match?.[1];
  const repository = match?.[2];
  const reference = match?.[4] ?? match?.[3];
  if (host === undefined || repository === undefined || reference === undefined || !(host.includes('.') || host.includes(':') || host === 'localhost')) {
    throw new ImageError('IMAGE_REF_INVALID', `${what} "${ref}" is not host/repository:tag or host/repository@sha256:<digest>`, {
      hint: 'Name the registry host (Gantry does not guess Docker Hub) and a tag or digest, such as registry.example:5000/base/node:20.',
      details: { ref },
    });
  }
  return { registry: host, repository, reference };
}

/** `host/repository@sha256:…`: how a deployment names an image, never by a tag that can move. */
export const digestRef = (registry: string, repository: string, digest: string): string => `${registry}/${repository}@${digest}`;
