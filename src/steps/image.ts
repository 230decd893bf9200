import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import { assembleImage, buildImageWithDocker, tagImage, type BuiltImage, type ImageProvenance } from '../artifacts/images/index.js';
import type { OciLayout } from '../artifacts/oci-layout.js';
import type { RegistryClient } from '../artifacts/registry/index.js';
import { specOf, type ImageStepSpec } from '../engine/step-specs/index.js';
import type { StepContext, StepHandler, StepOutcome } from '../engine/step-handler.js';
import { GantryError } from '../errors/index.js';
import type { SecretSource } from '../secrets/source.js';
import type { Store } from '../store/store.js';
import { registryClient } from './support/registry-access.js';
import type { Workspaces } from './workspace.js';

/**
 * Build once, as an image: after the bundle, the service's image is made from it (assembled on a
 * base image, or built by the Docker engine from the Dockerfile) and pushed to the build registry
 * under the commit sha. An unchanged service (the same bundle and image settings) reuses the image
 * an earlier release made, so every environment and every later release runs the same digest.
 */
export class ImageStep implements StepHandler {
  readonly kind = 'image';

  constructor(private readonly store: Store, private readonly layout: OciLayout, private readonly workspaces: Workspaces, private readonly secrets: SecretSource) {}

  async run(ctx: StepContext): Promise<StepOutcome> {
    const spec = specOf(ctx, 'image');
    const artifact = (await this.store.releases.forRelease(ctx.run.sha)).find((a) => a.service === spec.service);
    if (!artifact) throw new GantryError('RELEASE_NOT_FOUND', `release ${ctx.run.sha.slice(0, 7)} has no bundle for ${spec.service} to make its image from`, { hint: 'The build step makes the bundle first; this is a plan without a build.' });
    const own = await this.store.images.forRelease(artifact.releaseId, spec.service);
    if (own) return { kind: 'done', cached: true, summary: imageSummary(own.registry, own.repository, own.digest, spec), message: `image ${own.digest.slice(7, 19)}` };
    const client = registryClient(spec.registry, this.secrets, null);
    const key = buildKey(artifact.digest, spec);
    const same = await this.store.images.byBuildKey(spec.service, key);
    if (same && (await client.headManifest(spec.repository, same.digest))?.digest === same.digest) {
      await this.record(ctx, spec, client, artifact.releaseId, key, { digest: same.digest, size: same.size, baseDigest: same.baseDigest ?? undefined, sbomDigest: same.sbomDigest, kind: same.kind });
      ctx.log.info(`unchanged since release ${same.release.slice(0, 7)}: reusing its image ${spec.registry.url}/${spec.repository}@${same.digest} (not rebuilt)`);
      return { kind: 'done', cached: true, summary: { ...imageSummary(spec.registry.name, spec.repository, same.digest, spec), reusedFrom: same.release }, message: `image reused from ${same.release.slice(0, 7)}` };
    }
    if (spec.mustExist) {
      throw new GantryError('RELEASE_NOT_FOUND', `release ${ctx.run.sha.slice(0, 7)} has no image of ${spec.service}`, { hint: 'Only images built by an earlier run can be redeployed; dispatch the commit with --ref to build it.' });
    }
    const built = await this.build(ctx, spec, client, artifact.digest);
    ctx.log.info(`built ${spec.service} image ${built.ref} (SBOM ${built.sbom.digest.slice(0, 19)}…, tag ${built.sbom.tag})`);
    await this.record(ctx, spec, client, artifact.releaseId, key, { digest: built.digest, size: built.size, baseDigest: built.baseDigest, sbomDigest: built.sbom.digest, kind: spec.build.kind });
    return { kind: 'done', summary: { ...imageSummary(spec.registry.name, spec.repository, built.digest, spec), sbom: built.sbom.digest, base: built.baseDigest ?? null }, message: `image ${built.digest.slice(7, 19)}` };
  }

  private async build(ctx: StepContext, spec: ImageStepSpec, client: RegistryClient, bundleDigest: string): Promise<BuiltImage> {
    const root = await this.workspaces.checkout(ctx.run.id, spec.service, ctx.run.sha);
    const serviceDir = join(root, spec.servicePath);
    const lock = join(serviceDir, 'package-lock.json');
    const provenance: ImageProvenance = { revision: ctx.run.sha, source: spec.source, created: new Date(ctx.run.commitTime ?? ctx.clock.now()), title: spec.service, version: ctx.run.sha.slice(0, 12) };
    const lockfile = existsSync(lock) ? lock : undefined;
    if (spec.build.kind === 'assemble') {
      ctx.log.info(`assembling ${spec.service} on ${spec.build.base}: its layers plus one holding the bundle ${bundleDigest.slice(0, 19)}… at ${spec.build.workdir}`);
      const baseRegistry = spec.baseRegistry ? { baseRegistry: registryClient(spec.baseRegistry, this.secrets, null) } : {};
      return assembleImage({ registry: client, ...baseRegistry, base: spec.build.base, bundle: { layout: this.layout, digest: bundleDigest }, repository: spec.repository, provenance, workdir: spec.build.workdir, ...(lockfile ? { lockfile } : {}) });
    }
    ctx.log.info(`building ${spec.service} from ${spec.build.dockerfile} with the Docker engine${spec.engine === null ? '' : ` at ${spec.engine}`}`);
    return buildImageWithDocker({
      docker: dockerEngine(spec.engine),
      context: join(serviceDir, spec.build.context),
      dockerfile: spec.build.dockerfile,
      ...(spec.build.target === undefined ? {} : { target: spec.build.target }),
      buildArgs: spec.build.buildArgs,
      registry: client,
      repository: spec.repository,
      provenance,
      ...(lockfile ? { lockfile } : {}),
      onProgress: (line) => ctx.log.write('stdout', `${line}\n`),
      signal: ctx.signal,
    });
  }

  /** The image of this release, and its `<sha>` tag (moves: a rebuild of the same commit makes the same digest). */
  private async record(ctx: StepContext, spec: ImageStepSpec, client: RegistryClient, releaseId: number, key: string, image: { digest: string; size: number; baseDigest: string | undefined; sbomDigest: string | null; kind: 'assemble' | 'dockerfile' }): Promise<void> {
    const now = ctx.clock.now();
    for (const pushed of await tagImage(client, spec.repository, image.digest, [ctx.run.sha])) {
      await this.store.images.recordPush({ registry: spec.registry.name, repository: spec.repository, tag: pushed.tag, digest: pushed.digest, runId: ctx.run.id, pushedAt: now });
    }
    await this.store.images.add({ releaseId, service: spec.service, registry: spec.registry.name, repository: spec.repository, digest: image.digest, kind: image.kind, buildKey: key, baseDigest: image.baseDigest ?? null, sbomDigest: image.sbomDigest, size: image.size, createdAt: now });
  }
  // No cleanup of its own: the worktree it reads is the build step's, removed by the build step's cleanup.
}

/** The same bundle with the same image settings makes the same image: its key. */
function buildKey(bundleDigest: string, spec: ImageStepSpec): string {
  return createHash('sha256').update(JSON.stringify({ bundleDigest, build: spec.build, registry: spec.registry.url, repository: spec.repository })).digest('hex');
}

function imageSummary(registry: string, repository: string, digest: string, spec: ImageStepSpec): Record<string, string> {
  return { image: `${spec.registry.url}/${repository}@${digest}`, digest, registry };
}

/** The engine a Dockerfile build talks to: the one named, else DOCKER_HOST, else the default socket (dockerode's own defaults). */
function dockerEngine(engine: string | null): Docker {
  if (engine === null) return new Docker();
  if (engine.startsWith('unix://')) return new Docker({ socketPath: engine.slice('unix://'.length) });
  const url = new URL(engine.replace(/^tcp:/, 'http:'));
  return new Docker({ host: url.hostname, port: Number(url.port || 2375), protocol: 'http' });
}
