import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OciLayout, packBundle } from '../../src/artifacts/index.js';
import { assembleImage, ImageError, OCI_LABEL, releaseTags, sbomTag, tagImage, type AssembleInput } from '../../src/artifacts/images/index.js';
import { RegistryClient, RegistryError } from '../../src/artifacts/registry/index.js';
import { dockerAvailable, pushBaseImage, startDockerd, type TestDockerd } from '../support/dockerd.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { TempDirs, until } from '../support/temp.js';
import { freePort } from '../support/free-port.js';

const temp = new TempDirs();
let registry: TestRegistry;
let engine: TestDockerd;
let client: RegistryClient;
let base: { ref: string; tagRef: string; digest: string };
let serviceDir: string;
let bundleDir: string;
const commitTime = new Date('2026-11-30T12:34:56Z');

const SERVER = `import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
const greeting = readFileSync(new URL('./greeting.txt', import.meta.url), 'utf8').trim();
createServer((req, res) => res.end(greeting + ' from ' + process.cwd())).listen(Number(process.env.PORT), '127.0.0.1');
`;

const LOCK = {
  name: 'api',
  lockfileVersion: 3,
  packages: {
    '': { name: 'api', version: '1.2.0' },
    'node_modules/left-pad': { version: '1.3.0', integrity: 'sha512-XI5MPzVNApjAyhQzphX8BkmKsKUxD4LdyK24iZeQEQ4hXoGtIZlj6BnvLrYMMRb0ZxK2EsW5P82qs3m6JaG6UQ==' },
    'node_modules/@scope/thing': { version: '2.0.1' },
    'node_modules/vitest': { version: '3.0.0', dev: true },
  },
};


function input(overrides: Partial<AssembleInput> = {}): AssembleInput {
  return {
    registry: client,
    base: base.ref,
    bundle: { dir: bundleDir },
    repository: 'volteryde/api',
    provenance: { revision: 'a'.repeat(40), source: 'https://git.example/volteryde.git', created: commitTime, title: 'api', version: '1.2.0' },
    labels: { team: 'payments' },
    lockfile: join(serviceDir, 'package-lock.json'),
    ...overrides,
  };
}

async function refusal(promise: Promise<unknown>): Promise<ImageError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(ImageError);
  return error as ImageError;
}

// CI runs these as root with docker.io installed; a developer machine without Docker skips them.
describe.skipIf(!dockerAvailable())('assembling an image from a base and a bundle, without Docker', () => {
  beforeAll(async () => {
    registry = await startRegistry();
    engine = await startDockerd(temp);
    const host = new URL(registry.url).host;
    base = await pushBaseImage(engine, host);
    client = new RegistryClient({ url: registry.url });
    serviceDir = await temp.make('gantry-image-svc-');
    bundleDir = join(serviceDir, 'dist');
    await mkdir(join(bundleDir, 'assets'), { recursive: true });
    await writeFile(join(bundleDir, 'server.mjs'), SERVER);
    await writeFile(join(bundleDir, 'greeting.txt'), 'hello\n');
    await writeFile(join(bundleDir, 'assets', 'logo.svg'), '<svg/>');
    await writeFile(join(serviceDir, 'package-lock.json'), JSON.stringify(LOCK));
  }, 180_000);

  afterAll(async () => {
    await engine?.stop();
    await registry?.stop();
    await temp.cleanup();
  }, 60_000);

  it('gives the same digest for the same input, from the folder or from the stored bundle', async () => {
    const first = await assembleImage(input());
    const second = await assembleImage(input());
    expect(second.digest).toBe(first.digest);
    expect(second.sbom.digest).toBe(first.sbom.digest);
    // The second time every blob is there already: nothing is uploaded.
    expect(new Set(Object.values(second.blobs))).toEqual(new Set(['exists']));
    const layout = new OciLayout(join(await temp.make('gantry-image-layout-'), 'layout'));
    await layout.init();
    const stored = await layout.put('api', await packBundle(bundleDir));
    const fromLayout = await assembleImage(input({ bundle: { layout, digest: stored.manifestDigest } }));
    expect(fromLayout.digest).toBe(first.digest);
    expect(first.ref).toBe(`${client.registry}/volteryde/api@${first.digest}`);
    expect(first.baseDigest).toBe(base.digest);
    const changed = await assembleImage(input({ provenance: { ...input().provenance, created: new Date('2026-11-30T12:34:57Z') } }));
    expect(changed.digest).not.toBe(first.digest);
  });

  it('shares the base layers by mount into a new repository instead of uploading them', async () => {
    const image = await assembleImage(input({ repository: 'volteryde/mounted' }));
    const baseManifest = JSON.parse((await client.getManifest('gantry-test/node-base', base.digest)).bytes.toString()) as { layers: Array<{ digest: string }> };
    for (const layer of baseManifest.layers) expect(image.blobs[layer.digest]).toBe('mounted');
    const manifest = JSON.parse((await client.getManifest('volteryde/mounted', image.digest)).bytes.toString()) as { layers: Array<{ digest: string; mediaType: string }>; annotations: Record<string, string> };
    expect(manifest.layers.slice(0, -1).map((l) => l.digest)).toEqual(baseManifest.layers.map((l) => l.digest));
    expect(manifest.layers.every((l) => l.mediaType === 'application/vnd.oci.image.layer.v1.tar+gzip')).toBe(true);
    expect(manifest.annotations['org.opencontainers.image.base.digest']).toBe(base.digest);
  });

  it('runs in a real Docker engine after a pull by digest, serving the bundle from /app, with its labels', async () => {
    const image = await assembleImage(input({ cmd: ['node', 'server.mjs'] }));
    const baseMediaType = (await client.getManifest('gantry-test/node-base', base.digest)).mediaType;
    expect(baseMediaType).toBe('application/vnd.docker.distribution.manifest.v2+json');
    const pull = (await engine.docker.pull(image.ref)) as NodeJS.ReadableStream;
    await new Promise((resolve, reject) => engine.docker.modem.followProgress(pull, (e: Error | null, out: unknown[]) => (e ? reject(e) : resolve(out))));
    const inspected = await engine.docker.getImage(image.ref).inspect();
    expect(inspected.Config.WorkingDir).toBe('/app');
    expect(inspected.Config.Labels).toMatchObject({
      [OCI_LABEL.revision]: 'a'.repeat(40),
      [OCI_LABEL.source]: 'https://git.example/volteryde.git',
      [OCI_LABEL.created]: '2026-11-30T12:34:56Z',
      [OCI_LABEL.title]: 'api',
      [OCI_LABEL.version]: '1.2.0',
      team: 'payments',
    });
    expect(inspected.Created).toBe('2026-11-30T12:34:56Z');
    const port = await freePort();
    const container = await engine.docker.createContainer({ Image: image.ref, Env: [`PORT=${port}`], HostConfig: { NetworkMode: 'host' } });
    try {
      await container.start();
      const body = await until('the container to answer', async () => {
        const state = await container.inspect();
        if (!state.State.Running) throw new Error(`the container stopped: exit ${state.State.ExitCode}`);
        const answer = await fetch(`http://127.0.0.1:${port}/`).catch(() => undefined);
        return answer?.ok ? answer.text() : undefined;
      }, 30_000, 100);
      expect(body).toBe('hello from /app');
    } finally {
      await container.remove({ force: true });
    }
  });

  it('stores a CycloneDX SBOM beside the image, tagged by its digest, whose subject is the image', async () => {
    const image = await assembleImage(input());
    expect(image.sbom.tag).toBe(sbomTag(image.digest));
    const artifact = JSON.parse((await client.getManifest('volteryde/api', image.sbom.tag)).bytes.toString()) as {
      artifactType: string;
      subject: { digest: string; mediaType: string };
      layers: Array<{ digest: string; mediaType: string }>;
    };
    expect(artifact.artifactType).toBe('application/vnd.cyclonedx+json');
    expect(artifact.subject).toMatchObject({ digest: image.digest, mediaType: 'application/vnd.oci.image.manifest.v1+json' });
    expect(artifact.layers[0]?.digest).toBe(image.sbom.digest);
    const stored = (await client.pullBlob('volteryde/api', image.sbom.digest)).toString();
    expect(stored).toBe(image.sbom.json);
    const bom = JSON.parse(stored) as { bomFormat: string; metadata: { component: { name: string; version: string } }; components: Array<{ name: string; version: string; type: string; purl?: string }> };
    expect(bom.bomFormat).toBe('CycloneDX');
    expect(bom.metadata.component).toMatchObject({ name: 'api', version: '1.2.0' });
    expect(bom.components.find((c) => c.type === 'container')).toMatchObject({ version: base.digest });
    expect(bom.components.map((c) => c.purl).filter((p) => p?.startsWith('pkg:npm'))).toEqual(['pkg:npm/%40scope/thing@2.0.1', 'pkg:npm/left-pad@1.3.0']);
  });

  it('takes an OCI image or an index (its linux/amd64 image) as the base', async () => {
    const first = await assembleImage(input({ repository: 'volteryde/layered' }));
    const onOci = await assembleImage(input({ base: first.ref, repository: 'volteryde/layered-twice', workdir: '/srv/extra' }));
    const manifest = JSON.parse((await client.getManifest('volteryde/layered-twice', onOci.digest)).bytes.toString()) as { layers: unknown[] };
    expect(manifest.layers).toHaveLength(3);
    const baseManifest = await client.getManifest('gantry-test/node-base', base.digest);
    const index = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: [{ mediaType: baseManifest.mediaType, digest: baseManifest.digest, size: baseManifest.size, platform: { architecture: 'amd64', os: 'linux' } }],
      }),
    );
    await client.putManifest('gantry-test/node-base', 'multi', index);
    const onIndex = await assembleImage(input({ base: `${client.registry}/gantry-test/node-base:multi` }));
    const armOnly = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: [{ mediaType: baseManifest.mediaType, digest: baseManifest.digest, size: baseManifest.size, platform: { architecture: 'arm64', os: 'linux' } }],
      }),
    );
    await client.putManifest('gantry-test/node-base', 'arm-only', armOnly);
    const noAmd64 = await refusal(assembleImage(input({ base: `${client.registry}/gantry-test/node-base:arm-only` })));
    expect(noAmd64.code).toBe('IMAGE_BASE_UNREADABLE');
    expect(noAmd64.message).toContain('no linux/amd64 image (it has linux/arm64)');
    const direct = await assembleImage(input());
    expect(onIndex.baseDigest).not.toBe(direct.baseDigest);
    // Only the base annotations name the index; the layers and config are the same.
    const layersOf = async (digest: string): Promise<unknown> => (JSON.parse((await client.getManifest('volteryde/api', digest)).bytes.toString()) as { layers: unknown; config: unknown }).layers;
    expect(await layersOf(onIndex.digest)).toEqual(await layersOf(direct.digest));
  });

  it('tags an image <sha> and <env>-latest (movable) and <env>-r<N> (immutable: never moved, nothing pushed when refused)', async () => {
    const good = await assembleImage(input({ repository: 'volteryde/tagged' }));
    const tags = releaseTags({ sha: 'a'.repeat(40), environment: 'production', revision: 3 });
    const pushed = [...(await tagImage(client, 'volteryde/tagged', good.digest, tags.movable)), ...(await tagImage(client, 'volteryde/tagged', good.digest, tags.immutable, { immutable: true }))];
    expect(pushed).toEqual([
      { tag: 'a'.repeat(40), digest: good.digest, immutable: false },
      { tag: 'production-latest', digest: good.digest, immutable: false },
      { tag: 'production-r3', digest: good.digest, immutable: true },
    ]);
    for (const { tag } of pushed) expect((await client.headManifest('volteryde/tagged', tag))?.digest).toBe(good.digest);
    // The same digest again (a retried step) is fine.
    await tagImage(client, 'volteryde/tagged', good.digest, ['production-r3'], { immutable: true });
    const other = await assembleImage(input({ repository: 'volteryde/tagged', labels: { team: 'other' } }));
    await tagImage(client, 'volteryde/tagged', other.digest, ['production-latest']);
    expect((await client.headManifest('volteryde/tagged', 'production-latest'))?.digest).toBe(other.digest);
    const refused = await tagImage(client, 'volteryde/tagged', other.digest, ['production-r4', 'production-r3'], { immutable: true }).then(() => undefined, (e: unknown) => e);
    expect(refused).toBeInstanceOf(RegistryError);
    expect((refused as RegistryError).code).toBe('REGISTRY_TAG_IMMUTABLE');
    expect((await client.headManifest('volteryde/tagged', 'production-r3'))?.digest).toBe(good.digest);
    expect(await client.headManifest('volteryde/tagged', 'production-r4')).toBeUndefined();
  });

  it('copies the layers of a base on another registry, verified, when given a client for it', async () => {
    const other = await startRegistry();
    try {
      const target = new RegistryClient({ url: other.url });
      const image = await assembleImage(input({ registry: target, baseRegistry: client }));
      const baseLayers = (JSON.parse((await client.getManifest('gantry-test/node-base', base.digest)).bytes.toString()) as { layers: Array<{ digest: string }> }).layers;
      for (const layer of baseLayers) expect(image.blobs[layer.digest]).toBe('uploaded');
      // The base is the same, so the image is the same: the registry it lives on is not part of it.
      expect(image.digest).toBe((await assembleImage(input())).digest);
      const pull = (await engine.docker.pull(image.ref)) as NodeJS.ReadableStream;
      await new Promise((resolve, reject) => engine.docker.modem.followProgress(pull, (e: Error | null, out: unknown[]) => (e ? reject(e) : resolve(out))));
      expect((await engine.docker.getImage(image.ref).inspect()).Config.WorkingDir).toBe('/app');
    } finally {
      await other.stop();
    }
  });

  it('refuses a missing base, a base on another registry and a bad reference, naming it, and pushes nothing', async () => {
    const missing = await refusal(assembleImage(input({ base: `${client.registry}/gantry-test/no-such-base:1`, repository: 'volteryde/never' })));
    expect(missing.code).toBe('IMAGE_BASE_UNREADABLE');
    expect(missing.message).toContain('gantry-test/no-such-base:1');
    expect(missing.hint).toMatch(/push the base image/i);
    // Nothing reached the registry for the image: the repository was never created.
    expect(existsSync(join(registry.storage, 'docker/registry/v2/repositories/volteryde/never'))).toBe(false);
    expect(existsSync(join(registry.storage, 'docker/registry/v2/repositories/gantry-test/node-base'))).toBe(true);
    const elsewhere = await refusal(assembleImage(input({ base: 'registry.example:5000/base/node:20' })));
    expect(elsewhere.code).toBe('IMAGE_BASE_UNREADABLE');
    expect(elsewhere.message).toContain('registry.example:5000');
    const bad = await refusal(assembleImage(input({ base: 'node:20' })));
    expect(bad.code).toBe('IMAGE_REF_INVALID');
    const workdir = await refusal(assembleImage(input({ workdir: 'app/../x' })));
    expect(workdir.code).toBe('IMAGE_INPUT_INVALID');
  });
});
