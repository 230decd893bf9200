import { RegistryError } from './registry-error.js';

// The Distribution spec's grammar: lower-case path components joined by `/`; tags of up to 128 characters.
const REPOSITORY = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;

/**
 * Refuses a repository name a registry would not route (it answers a bare 404 page for one with
 * upper case), before anything is sent, so the error says what is wrong with the name.
 */
export function assertRepository(registry: string, repository: string): void {
  if (repository.length <= 255 && REPOSITORY.test(repository)) return;
  throw new RegistryError('REGISTRY_NAME_INVALID', `"${repository}" is not a valid repository name for registry ${registry}`, {
    hint: 'A repository name is lower-case letters and digits in path components separated by "/", with ".", "_", "__" or "-" inside a component (for example volteryde/api).',
    details: { registry, repository },
  });
}

/** A tag, or a sha256 digest: the references Gantry pushes and pulls by. */
export function assertReference(registry: string, repository: string, reference: string): void {
  if (DIGEST.test(reference) || TAG.test(reference)) return;
  throw new RegistryError('REGISTRY_NAME_INVALID', `"${reference}" is not a valid tag or sha256 digest for ${registry}/${repository}`, {
    hint: 'A tag is up to 128 letters, digits, "_", "." and "-", not starting with "." or "-"; a digest is sha256:<64 lower-case hex digits>.',
    details: { registry, repository, reference },
  });
}

/** A blob digest, checked before it becomes part of a URL path. */
export function assertDigest(registry: string, repository: string, digest: string): void {
  if (DIGEST.test(digest)) return;
  throw new RegistryError('REGISTRY_NAME_INVALID', `"${digest}" is not a sha256 digest (blob in ${registry}/${repository})`, {
    hint: 'A digest is sha256:<64 lower-case hex digits>, as the artifact store or the manifest names it.',
    details: { registry, repository, digest },
  });
}
