import { buildAppLayer, DEFAULT_WORKDIR } from '../../../src/artifacts/images/app-layer.js';
import type { ImageConfigJson } from '../../../src/artifacts/images/base-image.js';
import { imageConfigJson } from '../../../src/artifacts/images/image-config.js';
import { imageManifestJson } from '../../../src/artifacts/images/image-manifest.js';
import { digestRef } from '../../../src/artifacts/images/image-ref.js';
import { bufferSource, RegistryClient } from '../../../src/artifacts/registry/index.js';
import type { TarEntry } from '../../../src/artifacts/tar-writer.js';

export interface TestImageRegistry {
  /** host:port, as image references name it. */
  readonly host: string;
  readonly auth?: { readonly username: string; readonly password: string };
}

/** An image with nothing in it: what the app layer stands on (the stand-in's kubelet runs processes from the host). */
const EMPTY_BASE: ImageConfigJson = {
  architecture: 'amd64',
  os: 'linux',
  config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'] },
  rootfs: { type: 'layers', diff_ids: [] },
  history: [],
};

/**
 * Builds an OCI image without Docker (an empty base plus one layer holding `files` under `workdir`,
 * with Gantry's own layer, config and manifest writers) and pushes it to a real registry by digest.
 * `cmd` becomes the image's Cmd (run from the working folder), e.g. ['node', 'server.js'].
 */
export async function pushAppImage(
  registry: TestImageRegistry,
  repository: string,
  files: Readonly<Record<string, string>>,
  options: { readonly workdir?: string; readonly cmd?: readonly string[] } = {},
): Promise<{ ref: string; digest: string }> {
  const workdir = options.workdir ?? DEFAULT_WORKDIR;
  const entries: TarEntry[] = Object.keys(files)
    .sort()
    .map((path) => ({ type: 'File', path, mode: 0o644, data: Buffer.from(files[path] ?? '') }));
  const created = new Date('2026-01-01T00:00:00Z');
  const layer = await buildAppLayer(entries, workdir, created);
  const config = imageConfigJson(EMPTY_BASE, { diffId: layer.diffId, workdir, labels: {}, created, cmd: options.cmd, createdBy: 'pushAppImage (test support)' });
  const client = new RegistryClient({ url: `http://${registry.host}`, ...(registry.auth ? { credentials: registry.auth } : {}) });
  const configSource = bufferSource(config);
  await client.pushBlob(repository, bufferSource(layer.data));
  await client.pushBlob(repository, configSource);
  const manifest = imageManifestJson({
    config: { digest: configSource.digest, size: configSource.size },
    baseLayers: [],
    layer: { digest: layer.digest, size: layer.size },
    base: { name: 'scratch', digest: 'sha256:0000000000000000000000000000000000000000000000000000000000000000' },
    created: created.toISOString().replace('.000Z', 'Z'),
  });
  const digest = await client.putManifest(repository, 'latest', manifest);
  return { ref: digestRef(registry.host, repository, digest), digest };
}
