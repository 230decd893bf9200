export { ArtifactError } from './artifact-error.js';
export { parseArtifactRef } from './artifact-ref.js';
export type { ArtifactRef } from './artifact-ref.js';
export { packBundle } from './bundle.js';
export type { Bundle } from './bundle.js';
export type { TagEntry } from './index-tags.js';
export { OciLayout } from './oci-layout.js';
export type { StoredArtifact } from './oci-layout.js';
export { Annotation, MediaType } from './oci-types.js';
