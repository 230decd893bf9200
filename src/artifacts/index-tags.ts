import { ArtifactError } from './artifact-error.js';
import { Annotation, MediaType } from './oci-types.js';
import type { Descriptor, ImageIndex } from './oci-types.js';

export interface TagEntry {
  readonly ref: string;
  readonly digest: string;
  readonly immutable: boolean;
}

/** The tags of an index, sorted by ref. Descriptors without a ref name (written by other tools) are skipped. */
export function listTags(index: ImageIndex): TagEntry[] {
  const tags: TagEntry[] = [];
  for (const descriptor of index.manifests) {
    const ref = descriptor.annotations?.[Annotation.RefName];
    if (ref !== undefined) tags.push({ ref, digest: descriptor.digest, immutable: isImmutable(descriptor) });
  }
  return tags.sort((a, b) => (a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0));
}

/**
 * The index with `ref` pointing at the manifest. Pure, so the rule is tested without files.
 *
 * - A new ref is appended; an existing one is replaced in place, so other entries keep their order.
 * - An immutable ref never moves: pointing it elsewhere throws `ARTIFACT_TAG_IMMUTABLE`, pointing it
 *   at the same digest again is a no-op that keeps it immutable (tag steps are re-run after a crash).
 * - A mutable ref moves, and becomes immutable if asked; immutability is never dropped.
 */
export function applyTag(index: ImageIndex, ref: string, manifest: { digest: string; size: number }, immutable: boolean): ImageIndex {
  const at = index.manifests.findIndex((d) => d.annotations?.[Annotation.RefName] === ref);
  const existing = at < 0 ? undefined : index.manifests[at];
  if (existing && isImmutable(existing) && existing.digest !== manifest.digest) {
    throw new ArtifactError('ARTIFACT_TAG_IMMUTABLE', `the tag ${ref} is immutable and points at ${existing.digest}; it cannot point at ${manifest.digest}`, {
      hint: 'Commit tags and production tags never move, so that a release always means the same bytes. Deploy the release by its own tag, or use a new tag.',
      details: { ref, current: existing.digest, requested: manifest.digest },
    });
  }
  const keepImmutable = immutable || (existing !== undefined && isImmutable(existing));
  const descriptor: Descriptor = {
    mediaType: MediaType.Manifest,
    digest: manifest.digest,
    size: manifest.size,
    annotations: { [Annotation.RefName]: ref, ...(keepImmutable ? { [Annotation.Immutable]: 'true' } : {}) },
  };
  const manifests = [...index.manifests];
  if (at < 0) manifests.push(descriptor);
  else manifests[at] = descriptor;
  return { ...index, manifests };
}

function isImmutable(descriptor: Descriptor): boolean {
  return descriptor.annotations?.[Annotation.Immutable] === 'true';
}
