import { GantryError } from '../errors/index.js';

/**
 * Problems with release artifacts: a build output that cannot become one, a store that no longer
 * matches its digests, a tag that may not move. "Not found" uses the shared `NotFoundError` instead,
 * so the HTTP layer maps every missing thing the same way.
 */
export class ArtifactError extends GantryError {}
