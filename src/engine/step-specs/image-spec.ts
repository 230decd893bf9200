import { z } from 'zod';
import type { RegistryConfig } from '../../config/types.js';
import { specVersion } from './version.js';

/** A registry as a step reaches it: its name in gantry.yaml, where it is, and the secret names of its account. */
export const RegistryAccessSchema = z.object({
  name: z.string(),
  /** host[:port], as image references name it. */
  url: z.string(),
  plainHttp: z.boolean(),
  username: z.string().nullable(),
  /** Read in the environment's scope (the build's: shared) when the step runs, never stored. */
  passwordSecret: z.string().nullable(),
});
export type RegistryAccess = Readonly<z.output<typeof RegistryAccessSchema>>;

/** A registry of gantry.yaml as a step spec carries it: secret names, never values. */
export function registryAccess(registry: RegistryConfig): RegistryAccess {
  return { name: registry.name, url: registry.url, plainHttp: registry.plainHttp, username: registry.username ?? null, passwordSecret: registry.passwordSecret ?? null };
}

const ImageBuildSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('assemble'), base: z.string(), workdir: z.string() }),
  z.object({ kind: z.literal('dockerfile'), dockerfile: z.string(), context: z.string(), target: z.string().optional(), buildArgs: z.record(z.string(), z.string()) }),
]);

/** The `image` step: the service's image built once per release, after its bundle, into the build registry. */
export const ImageStepSchema = z.object({
  v: specVersion,
  service: z.string(),
  servicePath: z.string(),
  registry: RegistryAccessSchema,
  repository: z.string(),
  build: ImageBuildSchema,
  /** The registry an assembled image's base is on, when it is another one declared in `registries`; null: the build registry. */
  baseRegistry: RegistryAccessSchema.nullable().optional(),
  /** The repository's URL, for the image's org.opencontainers.image.source label. */
  source: z.string(),
  /** The Docker engine a Dockerfile build uses (unix:///… or tcp://…); null: DOCKER_HOST or the default socket. */
  engine: z.string().nullable(),
  mustExist: z.boolean(),
  timeoutMs: z.number().nonnegative(),
});
export type ImageStepSpec = Readonly<z.output<typeof ImageStepSchema>>;

/** What a deploy step of a service with an image pulls from: the environment's registry, copied to from the build registry. */
export const DeployImageSchema = z.object({
  repository: z.string(),
  /** Where the image was built (the `image` step pushed it there). */
  from: RegistryAccessSchema,
  /** The environment's registry, which its targets pull from; the same as `from` unless the environment names another. */
  to: RegistryAccessSchema,
});
export type DeployImage = Readonly<z.output<typeof DeployImageSchema>>;
