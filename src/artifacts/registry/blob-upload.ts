import type { BlobSource } from './blob-source.js';
import { RegistryError } from './registry-error.js';
import type { RegistryAnswer, RegistryHttp } from './registry-http.js';

const OCTETS = 'application/octet-stream';

/**
 * Uploads a blob through an upload session: one PUT for a blob up to `chunkSize` (monolithic, after
 * the POST that opens the session), else PATCH chunks with Content-Range, then a PUT `?digest=` that
 * closes it. `session` continues a session a refused mount already opened.
 */
export async function uploadBlob(http: RegistryHttp, repository: string, source: BlobSource, chunkSize: number, session?: URL): Promise<void> {
  const what = `uploading blob ${source.digest}`;
  let location = session ?? (await openSession(http, repository, what));
  if (source.size > chunkSize) {
    for (let offset = 0; offset < source.size; offset += chunkSize) {
      const chunk = await source.read(offset, chunkSize);
      const answer = await http.send({
        method: 'PATCH',
        path: location,
        repository,
        what: `${what} (bytes ${offset}–${offset + chunk.length - 1})`,
        headers: { 'content-type': OCTETS, 'content-range': `${offset}-${offset + chunk.length - 1}`, 'content-length': String(chunk.length) },
        body: chunk,
        expect: [202],
      });
      location = nextLocation(http, repository, answer, what);
    }
    await http.send({ method: 'PUT', path: withDigest(location, source.digest), repository, what, headers: { 'content-length': '0' }, expect: [201] });
    return;
  }
  const data = await source.read(0, source.size);
  await http.send({
    method: 'PUT',
    path: withDigest(location, source.digest),
    repository,
    what,
    headers: { 'content-type': OCTETS, 'content-length': String(data.length) },
    body: data,
    expect: [201],
  });
}

/**
 * Asks the registry to mount a blob from another repository of the same registry. True when it
 * did (201); otherwise the session it opened instead (202, as registries answer when the source is
 * not readable or mounting is off), for the upload to continue.
 */
export async function mountBlob(http: RegistryHttp, repository: string, digest: string, from: string): Promise<true | URL> {
  const query = new URLSearchParams({ mount: digest, from });
  const what = `mounting blob ${digest} from ${from}`;
  const answer = await http.send({ method: 'POST', path: `/v2/${repository}/blobs/uploads/?${query.toString()}`, repository, what, headers: { 'content-length': '0' }, expect: [201, 202] });
  return answer.status === 201 ? true : nextLocation(http, repository, answer, what);
}

async function openSession(http: RegistryHttp, repository: string, what: string): Promise<URL> {
  const answer = await http.send({ method: 'POST', path: `/v2/${repository}/blobs/uploads/`, repository, what, headers: { 'content-length': '0' }, expect: [202] });
  return nextLocation(http, repository, answer, what);
}

function nextLocation(http: RegistryHttp, repository: string, answer: RegistryAnswer, what: string): URL {
  const location = answer.header('location');
  if (location === undefined || location === '') {
    throw new RegistryError('REGISTRY_RESPONSE_INVALID', `${what}: registry ${http.registry} answered ${answer.status} without a Location for repository ${repository}`, {
      hint: 'An OCI registry names the upload session in Location; check that the URL points at a registry.',
      details: { registry: http.registry, repository, status: answer.status },
    });
  }
  // Locations may be relative to the registry, and carry the session state as query parameters.
  return new URL(location, http.base);
}

function withDigest(location: URL, digest: string): URL {
  const url = new URL(location);
  url.searchParams.set('digest', digest);
  return url;
}
