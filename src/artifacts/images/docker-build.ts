import type Docker from 'dockerode';
import type { RegistryClient } from '../registry/index.js';
import type { BuiltImage } from './built-image.js';
import { checkBuildInput, contextFiles } from './docker-context.js';
import { pushThroughEngine } from './docker-push.js';
import { followEngineStream, lastLines } from './docker-stream.js';
import { dockerfileBase } from './dockerfile-base.js';
import { ImageError } from './image-error.js';
import { imageLabels, type ImageProvenance } from './image-labels.js';
import { digestRef } from './image-ref.js';
import { imageSbom } from './image-sbom.js';

export interface DockerBuildInput {
  readonly docker: Docker;
  /** The build context folder. */
  readonly context: string;
  /** Relative to the context (default `Dockerfile`). */
  readonly dockerfile?: string;
  readonly target?: string;
  readonly buildArgs?: Readonly<Record<string, string>>;
  /** The registry and repository the image is pushed to. */
  readonly registry: RegistryClient;
  readonly repository: string;
  readonly provenance: ImageProvenance;
  readonly labels?: Readonly<Record<string, string>>;
  /** The service's package-lock.json, for the SBOM. */
  readonly lockfile?: string;
  /** The network of RUN steps; default: the engine's own, or `host` when it has no bridge network (dockerd --bridge=none). */
  readonly networkMode?: string;
  /** Ignore the engine's layer cache (a cold build). */
  readonly noCache?: boolean;
  /** Each line of the build and push output, as it comes. */
  readonly onProgress?: (line: string) => void;
  readonly signal?: AbortSignal;
}

/**
 * Builds a Dockerfile through the engine's API (classic builder, whose layer cache the engine
 * keeps between builds), with the OCI labels as build labels so they are in the image's config;
 * pushes it through the engine under the commit sha and checks the registry holds the digest the
 * engine reported; stores the SBOM beside it.
 */
export async function buildImageWithDocker(input: DockerBuildInput): Promise<BuiltImage & { imageId: string; cachedSteps: number }> {
  const { docker, registry, repository } = input;
  const checked = await checkBuildInput(input.context, input.dockerfile ?? 'Dockerfile');
  const onLine = input.onProgress ?? ((): void => undefined);
  const tag = input.provenance.revision;
  const name = `${registry.registry}/${repository}:${tag}`;
  const networkMode = input.networkMode ?? (await withoutBridge(docker));
  let outcome;
  try {
    const stream = await docker.buildImage(
      { context: checked.context, src: await contextFiles(checked.context) },
      {
        dockerfile: checked.dockerfile,
        t: name,
        labels: imageLabels(input.provenance, input.labels),
        rm: true,
        forcerm: true,
        ...(input.target === undefined ? {} : { target: input.target }),
        ...(input.buildArgs === undefined ? {} : { buildargs: { ...input.buildArgs } }),
        ...(networkMode === undefined ? {} : { networkmode: networkMode }),
        ...(input.noCache ? { nocache: true } : {}),
        ...(input.signal === undefined ? {} : { abortSignal: input.signal }),
      },
    );
    outcome = await followEngineStream(docker, stream, onLine);
  } catch (error: unknown) {
    throw buildFailed(`the Docker engine refused the build of ${checked.dockerfile}: ${error instanceof Error ? error.message : String(error)}`, checked.context, error);
  }
  const imageId = outcome.aux.find((a) => a.ID !== undefined)?.ID;
  if (outcome.error !== undefined || imageId === undefined) {
    throw buildFailed(`building ${checked.dockerfile} in ${checked.context} failed${outcome.error === undefined ? '' : `: ${outcome.error}`}\nlast lines of the build:\n${lastLines(outcome)}`, checked.context);
  }
  const cachedSteps = outcome.lines.filter((line) => line.includes('Using cache')).length;
  const pushed = await pushThroughEngine(docker, registry, repository, tag, onLine, input.signal);
  const base = await dockerfileBase(docker, `${checked.context}/${checked.dockerfile}`, input.target);
  const sbom = await imageSbom(registry, repository, pushed, input.provenance, base, input.lockfile);
  return { ...pushed, repository, ref: digestRef(registry.registry, repository, pushed.digest), baseDigest: base?.digest, sbom, imageId, cachedSteps };
}

/** `host` on an engine started without a bridge network, where RUN steps would otherwise have no network at all. */
async function withoutBridge(docker: Docker): Promise<string | undefined> {
  const networks = await docker.listNetworks().catch(() => undefined);
  return networks !== undefined && !networks.some((n) => n.Name === 'bridge') ? 'host' : undefined;
}

function buildFailed(message: string, where: string, cause?: unknown): ImageError {
  return new ImageError('IMAGE_BUILD_FAILED', message, {
    where,
    cause,
    hint: 'The last lines of the build name the failing instruction and its output; build it locally with the same Dockerfile, context and build arguments to reproduce.',
  });
}
