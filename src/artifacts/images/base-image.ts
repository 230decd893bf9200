import { z } from 'zod';
import type { RegistryClient } from '../registry/index.js';
import { ImageError } from './image-error.js';
import { parseImageRef } from './image-ref.js';

/** The base of an assembled image, read once and named by digest from then on. */
export interface BaseImage {
  /** As the user wrote it. */
  readonly ref: string;
  readonly registry: string;
  readonly repository: string;
  /** What the reference resolved to: an index's digest for a multi-platform base. */
  readonly digest: string;
  /** The linux/amd64 image manifest used (the same as `digest` for a single-platform base). */
  readonly manifestDigest: string;
  readonly layers: readonly LayerDescriptor[];
  /** The base's image config, parsed: the new image's config starts from it. */
  readonly config: ImageConfigJson;
}

export interface LayerDescriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly urls?: readonly string[] | undefined;
}

const Descriptor = z.looseObject({ mediaType: z.string(), digest: z.string(), size: z.number().int().nonnegative(), urls: z.array(z.string()).optional() });
const Platformed = Descriptor.extend({ platform: z.looseObject({ architecture: z.string(), os: z.string() }).optional() });
const ImageManifest = z.looseObject({ schemaVersion: z.literal(2), config: Descriptor, layers: z.array(Descriptor) });
const Index = z.looseObject({ schemaVersion: z.literal(2), manifests: z.array(Platformed) });
const ImageConfig = z.looseObject({
  architecture: z.string().optional(),
  os: z.string().optional(),
  config: z.looseObject({}).nullable().optional(),
  rootfs: z.looseObject({ type: z.literal('layers'), diff_ids: z.array(z.string()) }),
  history: z.array(z.looseObject({})).optional(),
});
export type ImageConfigJson = z.infer<typeof ImageConfig>;

const INDEX_TYPES = new Set(['application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json']);

/**
 * Resolves a base reference to a digest and reads its manifest and config: OCI or Docker v2 schema2,
 * and for an index or manifest list the linux/amd64 entry, through `client`, which must be the
 * client of the base's registry (`pushedTo` names the image's registry in the message otherwise).
 */
export async function readBaseImage(client: RegistryClient, ref: string, pushedTo = client.registry): Promise<BaseImage> {
  const { registry, repository, reference } = parseImageRef(ref, 'base image');
  if (registry !== client.registry) {
    throw unreadable(ref, `it is on ${registry}, but Gantry has a client only for ${client.registry === pushedTo ? pushedTo : `${client.registry} and ${pushedTo}`}`, `Declare ${registry} in registries (with its account) so Gantry can read the base there, or copy the base image to ${pushedTo} and name it there.`);
  }
  try {
    const top = await client.getManifest(repository, reference);
    let manifest = top;
    if (INDEX_TYPES.has(top.mediaType)) {
      const entries = parse(Index, top.bytes, ref, 'its index').manifests;
      const chosen = entries.find((m) => m.platform?.os === 'linux' && m.platform.architecture === 'amd64');
      if (!chosen) throw unreadable(ref, `its index lists no linux/amd64 image (it has ${entries.map((m) => `${m.platform?.os ?? '?'}/${m.platform?.architecture ?? '?'}`).join(', ') || 'none'})`, 'Use a base image built for linux/amd64.');
      manifest = await client.getManifest(repository, chosen.digest);
    }
    const image = parse(ImageManifest, manifest.bytes, ref, 'its manifest');
    const config = parse(ImageConfig, await client.pullBlob(repository, image.config.digest), ref, 'its config');
    if (config.rootfs.diff_ids.length !== image.layers.length) {
      throw unreadable(ref, `its config lists ${config.rootfs.diff_ids.length} layers but its manifest ${image.layers.length}`, 'The base image is damaged; push it again.');
    }
    return { ref, registry, repository, digest: top.digest, manifestDigest: manifest.digest, layers: image.layers, config };
  } catch (error: unknown) {
    if (error instanceof ImageError) throw error;
    throw unreadable(ref, error instanceof Error ? error.message : String(error), 'Push the base image to the registry first, or fix its tag or digest; check that the registry account may pull it.', error);
  }
}

function parse<T>(schema: z.ZodType<T>, bytes: Buffer, ref: string, what: string): T {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (error: unknown) {
    throw unreadable(ref, `${what} is not JSON`, 'The base image is damaged; push it again.', error);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw unreadable(ref, `${what} is not an image ${what.replace('its ', '')}: ${parsed.error.issues[0]?.message ?? ''}`, 'Use an OCI or Docker v2 image as the base.');
  return parsed.data;
}

function unreadable(ref: string, problem: string, hint: string, cause?: unknown): ImageError {
  return new ImageError('IMAGE_BASE_UNREADABLE', `cannot read base image ${ref}: ${problem}`, { hint, cause, where: ref, details: { base: ref } });
}
