import { GantryError } from '../../errors/index.js';

/** A failure building, assembling or pushing a container image; registry failures stay `RegistryError`s, wrapped as `cause`. */
export class ImageError extends GantryError {}
