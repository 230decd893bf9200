import { sha256Digest } from '../digest.js';
import { MediaType } from '../oci-types.js';
import { assertReference } from './names.js';
import { RegistryError } from './registry-error.js';
import type { RegistryHttp } from './registry-http.js';

/** Manifest kinds Gantry reads: OCI first, and Docker's for images made by other tools. */
export const MANIFEST_TYPES = [
  MediaType.Manifest,
  MediaType.Index,
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
] as const;
// Distribution answers 404 for an OCI manifest to a client that does not accept OCI types.
const ACCEPT = MANIFEST_TYPES.join(', ');

export interface ManifestHead {
  readonly digest: string;
  readonly mediaType: string;
  readonly size: number;
}

export interface Manifest extends ManifestHead {
  readonly bytes: Buffer;
}

export const isDigest = (reference: string): boolean => /^sha256:[a-f0-9]{64}$/.test(reference);

/** PUT by tag or digest; the bytes' digest must match a digest reference and the registry's answer. */
export async function putManifest(http: RegistryHttp, repository: string, reference: string, bytes: Buffer): Promise<string> {
  assertReference(http.registry, repository, reference);
  const digest = sha256Digest(bytes);
  const what = `pushing manifest ${repository}:${reference}`;
  if (isDigest(reference) && reference !== digest) throw mismatch(http.registry, repository, what, reference, digest);
  const answer = await http.send({ method: 'PUT', path: `/v2/${repository}/manifests/${reference}`, repository, what, headers: { 'content-type': mediaTypeOf(bytes, http, repository) }, body: bytes, expect: [201] });
  const stored = answer.header('docker-content-digest');
  if (stored !== undefined && stored !== digest) throw mismatch(http.registry, repository, `${what}: the registry stored another digest`, digest, stored);
  return digest;
}

/** GET by tag or digest, verifying the bytes against the digest asked for and the one the registry names. */
export async function getManifest(http: RegistryHttp, repository: string, reference: string): Promise<Manifest> {
  assertReference(http.registry, repository, reference);
  const what = `pulling manifest ${repository}:${reference}`;
  const answer = await http.send({ method: 'GET', path: `/v2/${repository}/manifests/${reference}`, repository, what, headers: { accept: ACCEPT }, expect: [200] });
  const digest = sha256Digest(answer.body);
  if (isDigest(reference) && reference !== digest) throw mismatch(http.registry, repository, what, reference, digest);
  const named = answer.header('docker-content-digest');
  if (named !== undefined && named !== digest) throw mismatch(http.registry, repository, what, named, digest);
  return { digest, bytes: answer.body, size: answer.body.length, mediaType: mediaTypeOf(answer.body, http, repository) };
}

/** HEAD: what a tag or digest points at, or undefined when the registry has no such manifest. */
export async function headManifest(http: RegistryHttp, repository: string, reference: string): Promise<ManifestHead | undefined> {
  assertReference(http.registry, repository, reference);
  const what = `looking up manifest ${repository}:${reference}`;
  const answer = await http.send({ method: 'HEAD', path: `/v2/${repository}/manifests/${reference}`, repository, what, headers: { accept: ACCEPT }, expect: [200, 404] });
  if (answer.status === 404) return undefined;
  const digest = answer.header('docker-content-digest');
  if (digest === undefined || !isDigest(digest)) {
    throw new RegistryError('REGISTRY_RESPONSE_INVALID', `${what}: registry ${http.registry} named no sha256 Docker-Content-Digest`, {
      hint: 'Gantry needs the digest a tag points at to keep tags immutable; use an OCI Distribution registry that names it.',
      details: { registry: http.registry, repository },
    });
  }
  return { digest, mediaType: answer.header('content-type') ?? '', size: Number(answer.header('content-length') ?? 0) };
}

function mediaTypeOf(bytes: Buffer, http: RegistryHttp, repository: string): string {
  let mediaType: unknown;
  try {
    mediaType = (JSON.parse(bytes.toString('utf8')) as { mediaType?: unknown }).mediaType;
  } catch {
    mediaType = undefined;
  }
  if (typeof mediaType === 'string' && (MANIFEST_TYPES as readonly string[]).includes(mediaType)) return mediaType;
  throw new RegistryError('REGISTRY_RESPONSE_INVALID', `a manifest for ${http.registry}/${repository} is not JSON with a known mediaType (${MANIFEST_TYPES.join(', ')})`, {
    hint: 'Gantry moves OCI image manifests and indexes, and Docker v2 manifests and lists, that name their mediaType.',
    details: { registry: http.registry, repository },
  });
}

export function mismatch(registry: string, repository: string, what: string, expected: string, actual: string): RegistryError {
  return new RegistryError('REGISTRY_DIGEST_MISMATCH', `${what}: expected ${expected} but the bytes are ${actual}`, {
    hint: 'Nothing was used. Push the artifact again from the artifact store; if a proxy rewrites content, push to the registry directly.',
    where: `${registry}/${repository}`,
    details: { registry, repository, expected, actual },
  });
}
