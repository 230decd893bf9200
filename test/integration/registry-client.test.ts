import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Agent, type Dispatcher } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaType, OciLayout, packBundle } from '../../src/artifacts/index.js';
import { bufferSource, copyByDigest, pullLayoutArtifact, pushLayoutArtifact, RegistryClient, RegistryError } from '../../src/artifacts/registry/index.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { registerSecret, secretValue } from '../support/sweep.js';
import { TempDirs } from '../support/temp.js';

const temp = new TempDirs();
let open: TestRegistry;
let guarded: TestRegistry;
const password = secretValue('registry password');

/** Every request a client sends, as `METHOD /path` (no query), through a real undici interceptor. */
function counted(): { dispatcher: Dispatcher; seen: string[] } {
  const seen: string[] = [];
  const dispatcher = new Agent().compose((dispatch) => (opts, handler) => {
    seen.push(`${opts.method} ${opts.path.split('?')[0] ?? ''}`);
    return dispatch(opts, handler);
  });
  return { dispatcher, seen };
}

/** A real bundle artifact in a real layout, built by the artifact code the pipeline uses. */
async function layoutWithArtifact(service: string, content: string): Promise<{ layout: OciLayout; digest: string; files: string }> {
  const root = await temp.make('gantry-registry-src-');
  const files = join(root, 'out');
  await mkdir(join(files, 'lib'), { recursive: true });
  await writeFile(join(files, 'server.js'), `console.log(${JSON.stringify(content)});\n`);
  await writeFile(join(files, 'lib', 'data.bin'), randomBytes(20_000));
  const layout = new OciLayout(join(root, 'layout'));
  await layout.init();
  const stored = await layout.put(service, await packBundle(files), { 'org.opencontainers.image.revision': content });
  return { layout, digest: stored.manifestDigest, files };
}

async function blobFiles(layout: OciLayout): Promise<Map<string, Buffer>> {
  const dir = join(layout.root, 'blobs', 'sha256');
  const found = new Map<string, Buffer>();
  for (const name of await readdir(dir)) found.set(name, await readFile(join(dir, name)));
  return found;
}

async function refusal(promise: Promise<unknown>): Promise<RegistryError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(RegistryError);
  return error as RegistryError;
}

beforeAll(async () => {
  // allSettled: when one fails to start, the other is still stopped in afterAll.
  const [a, b] = await Promise.allSettled([startRegistry(), startRegistry({ users: { gantry: password } })]);
  if (a.status === 'fulfilled') open = a.value;
  if (b.status === 'fulfilled') guarded = b.value;
  for (const started of [a, b]) if (started.status === 'rejected') throw started.reason;
});

afterAll(async () => {
  await Promise.all([open?.stop(), guarded?.stop()]);
  await temp.cleanup();
});

describe('the registry client against a real registry without auth', () => {
  it('pushes a bundle from the local OCI layout and pulls it back byte-identical', async () => {
    const { layout, digest, files } = await layoutWithArtifact('api', 'v1');
    const client = new RegistryClient({ url: open.url });
    const pushed = await pushLayoutArtifact(layout, digest, client, 'volteryde/api', { tag: 'abc1234' });
    expect(Object.values(pushed.blobs)).toEqual(['uploaded', 'uploaded']);
    expect((await client.headManifest('volteryde/api', 'abc1234'))?.digest).toBe(digest);

    const back = new OciLayout(join(await temp.make('gantry-registry-dst-'), 'layout'));
    await pullLayoutArtifact(client, 'volteryde/api', digest, back);
    expect(await blobFiles(back)).toEqual(await blobFiles(layout));
    await back.verify(digest);
    const unpacked = await temp.make('gantry-registry-unpacked-');
    await back.unpack(digest, unpacked);
    expect(await readFile(join(unpacked, 'lib', 'data.bin'))).toEqual(await readFile(join(files, 'lib', 'data.bin')));
  });

  it('asks with HEAD first and uploads nothing the repository already has', async () => {
    const { layout, digest } = await layoutWithArtifact('billing', 'v1');
    await pushLayoutArtifact(layout, digest, new RegistryClient({ url: open.url }), 'volteryde/billing');
    const { dispatcher, seen } = counted();
    const again = await pushLayoutArtifact(layout, digest, new RegistryClient({ url: open.url, dispatcher }), 'volteryde/billing');
    expect(Object.values(again.blobs)).toEqual(['exists', 'exists']);
    expect(seen.filter((r) => r.startsWith('HEAD /v2/volteryde/billing/blobs/'))).toHaveLength(2);
    expect(seen.filter((r) => r.includes('/blobs/uploads'))).toEqual([]);
  });

  it('uploads a blob bigger than the chunk size in PATCH chunks, and a small one in one PUT', async () => {
    const { dispatcher, seen } = counted();
    const client = new RegistryClient({ url: open.url, chunkSize: 64 * 1024, dispatcher });
    const big = randomBytes(300 * 1024);
    expect(await client.pushBlob('chunks/big', bufferSource(big))).toBe('uploaded');
    expect(seen.filter((r) => r.startsWith('PATCH '))).toHaveLength(5);
    expect(await client.pullBlob('chunks/big', bufferSource(big).digest)).toEqual(big);

    seen.length = 0;
    const small = randomBytes(1000);
    await client.pushBlob('chunks/small', bufferSource(small));
    expect(seen.map((r) => r.replace(/uploads\/[^/]+$/, 'uploads/<session>'))).toEqual([
      `HEAD /v2/chunks/small/blobs/${bufferSource(small).digest}`,
      'POST /v2/chunks/small/blobs/uploads/',
      'PUT /v2/chunks/small/blobs/uploads/<session>',
    ]);
  });

  it('mounts a blob from another repository, and uploads it when the registry answers 202 instead', async () => {
    const { dispatcher, seen } = counted();
    const client = new RegistryClient({ url: open.url, dispatcher });
    const blob = bufferSource(randomBytes(5000));
    await client.pushBlob('mount/from', blob);
    seen.length = 0;
    expect(await client.pushBlob('mount/to', blob, { mountFrom: 'mount/from' })).toBe('mounted');
    expect(seen.filter((r) => r.startsWith('PUT ') || r.startsWith('PATCH '))).toEqual([]);

    // A repository that does not hold the blob: the registry opens an upload session instead.
    expect(await client.pushBlob('mount/elsewhere', blob, { mountFrom: 'mount/empty' })).toBe('uploaded');
    expect(await client.hasBlob('mount/elsewhere', blob.digest)).toBe(true);
  });

  it('refuses to move an immutable tag, and accepts the same digest again', async () => {
    const client = new RegistryClient({ url: open.url });
    const first = await layoutWithArtifact('web', 'r1');
    const second = await layoutWithArtifact('web', 'r2');
    await pushLayoutArtifact(first.layout, first.digest, client, 'volteryde/web', { tag: 'production-r1', immutable: true });
    await pushLayoutArtifact(first.layout, first.digest, client, 'volteryde/web', { tag: 'production-r1', immutable: true });
    const error = await refusal(pushLayoutArtifact(second.layout, second.digest, client, 'volteryde/web', { tag: 'production-r1', immutable: true }));
    expect(error.code).toBe('REGISTRY_TAG_IMMUTABLE');
    expect(error.message).toContain(first.digest);
    expect((await client.headManifest('volteryde/web', 'production-r1'))?.digest).toBe(first.digest);
    // A movable tag moves.
    await pushLayoutArtifact(second.layout, second.digest, client, 'volteryde/web', { tag: 'production-latest' });
    await pushLayoutArtifact(first.layout, first.digest, client, 'volteryde/web', { tag: 'production-latest' });
    expect((await client.headManifest('volteryde/web', 'production-latest'))?.digest).toBe(first.digest);
  });

  it('refuses a manifest whose bytes do not match the digest it is pushed under, and stores nothing', async () => {
    const { layout, digest } = await layoutWithArtifact('worker', 'v1');
    const client = new RegistryClient({ url: open.url });
    await pushLayoutArtifact(layout, digest, client, 'volteryde/worker');
    const bytes = (await client.getManifest('volteryde/worker', digest)).bytes;
    const altered = Buffer.from(bytes.toString('utf8').replace('"v1"', '"v2"'));
    const error = await refusal(client.putManifest('volteryde/worker', digest, altered));
    expect(error.code).toBe('REGISTRY_DIGEST_MISMATCH');
    expect(await client.headManifest('volteryde/worker', bufferSource(altered).digest)).toBeUndefined();
    expect((await client.headManifest('volteryde/worker', digest))?.digest).toBe(digest);
  });

  it('refuses a blob whose bytes were changed in the registry\'s storage', async () => {
    const client = new RegistryClient({ url: open.url });
    const blob = randomBytes(4000);
    const { digest } = bufferSource(blob);
    await client.pushBlob('tamper/me', bufferSource(blob));
    const hex = digest.slice('sha256:'.length);
    const file = join(open.storage, 'docker', 'registry', 'v2', 'blobs', 'sha256', hex.slice(0, 2), hex, 'data');
    const damaged = Buffer.from(blob);
    damaged[100] = (damaged[100] ?? 0) ^ 0xff;
    await writeFile(file, damaged);
    const error = await refusal(client.pullBlob('tamper/me', digest));
    expect(error.code).toBe('REGISTRY_DIGEST_MISMATCH');
    expect(error.message).toContain(digest);
  });

  it('copies an artifact by digest to another repository (mounting) and to another registry, verifying the digest', async () => {
    const { layout, digest } = await layoutWithArtifact('api', 'copy');
    const source = { client: new RegistryClient({ url: open.url }), repository: 'dev/api' };
    await pushLayoutArtifact(layout, digest, source.client, source.repository);

    const sameRegistry = await copyByDigest(source, { client: source.client, repository: 'staging/api' }, digest);
    expect(Object.values(sameRegistry.blobs)).toEqual(['mounted', 'mounted']);

    const other = { client: new RegistryClient({ url: guarded.url, credentials: { username: 'gantry', password } }), repository: 'production/api' };
    const copied = await copyByDigest(source, other, digest);
    expect(Object.values(copied.blobs)).toEqual(['uploaded', 'uploaded']);
    const back = new OciLayout(join(await temp.make('gantry-registry-copy-'), 'layout'));
    await pullLayoutArtifact(other.client, other.repository, digest, back);
    expect(await blobFiles(back)).toEqual(await blobFiles(layout));
  });
  it('pushes an OCI index by tag and copies it by digest with every manifest it names', async () => {
    const client = new RegistryClient({ url: open.url });
    const children = [await layoutWithArtifact('api', 'index-a'), await layoutWithArtifact('api', 'index-b')];
    const descriptors = [];
    for (const child of children) {
      await pushLayoutArtifact(child.layout, child.digest, client, 'multi/api');
      const head = await client.headManifest('multi/api', child.digest);
      descriptors.push({ mediaType: MediaType.Manifest, digest: child.digest, size: head?.size ?? 0 });
    }
    const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.Index, manifests: descriptors }));
    const digest = await client.pushTag('multi/api', 'all', index);
    const fetched = await client.getManifest('multi/api', 'all');
    expect(fetched).toMatchObject({ digest, mediaType: MediaType.Index });
    expect(fetched.bytes).toEqual(index);

    const other = new RegistryClient({ url: guarded.url, credentials: { username: 'gantry', password } });
    await copyByDigest({ client, repository: 'multi/api' }, { client: other, repository: 'multi/api' }, digest);
    for (const child of children) expect((await other.headManifest('multi/api', child.digest))?.digest).toBe(child.digest);
    expect((await other.getManifest('multi/api', digest)).bytes).toEqual(index);
  });
});

describe('the registry client against a real registry with htpasswd basic auth', () => {
  it('pushes and pulls with the right password', async () => {
    const { layout, digest } = await layoutWithArtifact('api', 'auth');
    const client = new RegistryClient({ url: guarded.url, credentials: { username: 'gantry', password } });
    await pushLayoutArtifact(layout, digest, client, 'auth/api', { tag: 'v1' });
    expect((await client.getManifest('auth/api', 'v1')).digest).toBe(digest);
  });

  it('reports a wrong password as REGISTRY_UNAUTHORIZED naming the registry, repository and user, never the password', async () => {
    const wrong = registerSecret(`${password}-wrong`);
    const client = new RegistryClient({ url: guarded.url, credentials: { username: 'gantry', password: wrong } });
    const error = await refusal(client.hasBlob('auth/api', 'sha256:' + 'a'.repeat(64)));
    expect(error.code).toBe('REGISTRY_UNAUTHORIZED');
    expect(error.message).toContain(new URL(guarded.url).host);
    expect(error.message).toContain('auth/api');
    expect(error.message).toContain('user gantry');
    expect(error.message).toContain('401');
    const everything = `${error.explain()} ${JSON.stringify(error.toJSON())}`;
    for (const secret of [wrong, password, Buffer.from(`gantry:${wrong}`).toString('base64')]) expect(everything).not.toContain(secret);
  });

  it('reports no credentials as REGISTRY_UNAUTHORIZED', async () => {
    const error = await refusal(new RegistryClient({ url: guarded.url }).headManifest('auth/api', 'v1'));
    expect(error.code).toBe('REGISTRY_UNAUTHORIZED');
    expect(error.message).toContain('without credentials');
  });
});

describe('the registry client refuses bad names before sending anything', () => {
  it('names the repository, tag or digest that is not valid, with REGISTRY_NAME_INVALID', async () => {
    const { dispatcher, seen } = counted();
    const client = new RegistryClient({ url: open.url, dispatcher });
    const upper = await refusal(client.pushBlob('Volteryde/API', bufferSource(Buffer.from('x'))));
    expect(upper.code).toBe('REGISTRY_NAME_INVALID');
    expect(upper.message).toContain('"Volteryde/API"');
    expect((await refusal(client.headManifest('volteryde/api', '-bad tag'))).message).toContain('"-bad tag"');
    expect((await refusal(client.pullBlob('volteryde/api', 'sha256:../../etc'))).code).toBe('REGISTRY_NAME_INVALID');
    expect(seen).toEqual([]);
  });
});
