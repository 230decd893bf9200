import { z } from 'zod';
import { RegistryError } from './registry-error.js';

const Descriptor = z.looseObject({ mediaType: z.string(), digest: z.string().regex(/^sha256:[a-f0-9]{64}$/), size: z.number().int().nonnegative() });
const References = z.looseObject({
  manifests: z.array(Descriptor).optional(),
  config: Descriptor.optional(),
  layers: z.array(Descriptor).optional(),
});

export type Reference = z.infer<typeof Descriptor>;

/** What a manifest names: child manifests (an index or list) and blobs (an image's config and layers). */
export function manifestReferences(bytes: Buffer, where: string): { manifests: Reference[]; blobs: Reference[] } {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    json = undefined;
  }
  const parsed = References.safeParse(json);
  if (!parsed.success) {
    throw new RegistryError('REGISTRY_RESPONSE_INVALID', `the manifest ${where} is not an image manifest or index Gantry can read`, {
      hint: 'Its config, layers or manifests must be descriptors with mediaType, a sha256 digest and size.',
      where,
    });
  }
  const { manifests = [], config, layers = [] } = parsed.data;
  return { manifests, blobs: [...(config ? [config] : []), ...layers] };
}
