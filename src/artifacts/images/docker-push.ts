import type Docker from 'dockerode';
import type { RegistryClient } from '../registry/index.js';
import { followEngineStream, lastLines } from './docker-stream.js';
import { ImageError } from './image-error.js';

/**
 * Pushes an image the engine built through the engine itself (it skips layers the registry has
 * and remembers their compressed digests, so an unchanged image pushes in a few requests), then
 * checks with Gantry's own client that the registry holds the digest the engine reported, under
 * the tag pushed. Returns that manifest's digest, size and media type.
 */
export async function pushThroughEngine(
  docker: Docker,
  registry: RegistryClient,
  repository: string,
  tag: string,
  onLine: (line: string) => void,
  signal?: AbortSignal,
): Promise<{ digest: string; size: number; mediaType: string }> {
  const name = `${registry.registry}/${repository}`;
  const credentials = registry.options.credentials;
  const authconfig = credentials === undefined ? {} : { username: credentials.username, password: credentials.password, serveraddress: registry.registry };
  const where = `${name}:${tag}`;
  let outcome;
  try {
    // @types/dockerode wants every AuthConfig field; the engine takes an empty one for an open registry.
    const stream = await docker.getImage(where).push({ tag, authconfig, ...(signal === undefined ? {} : { abortSignal: signal }) } as never);
    outcome = await followEngineStream(docker, stream as unknown as NodeJS.ReadableStream, onLine);
  } catch (error: unknown) {
    throw pushFailed(`the engine could not push ${where}: ${error instanceof Error ? error.message : String(error)}`, where, error);
  }
  if (outcome.error !== undefined) throw pushFailed(`the engine could not push ${where}: ${outcome.error}\n${lastLines(outcome)}`, where);
  const reported = outcome.aux.find((a) => a.Digest !== undefined)?.Digest;
  if (reported === undefined) throw pushFailed(`the engine pushed ${where} but reported no digest`, where);
  const byTag = await registry.headManifest(repository, tag);
  const byDigest = await registry.headManifest(repository, reported);
  if (byDigest === undefined || byTag?.digest !== reported) {
    throw pushFailed(`the engine reported ${reported} for ${where}, but the registry has ${byDigest === undefined ? 'no such manifest' : `the tag at ${byTag?.digest ?? 'nothing'}`}`, where);
  }
  return { digest: reported, size: byDigest.size, mediaType: byDigest.mediaType };
}

function pushFailed(message: string, where: string, cause?: unknown): ImageError {
  return new ImageError('IMAGE_PUSH_FAILED', message, {
    where,
    cause,
    retryable: true,
    hint: 'Check the registry address and that the account may push this repository; a plain-HTTP registry off 127.0.0.0/8 must be in the engine\'s insecure-registries.',
  });
}
