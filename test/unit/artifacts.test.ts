import { createHash } from 'node:crypto';
import { chmod, cp, mkdir, readdir, readFile, readlink, lstat, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { Header, Parser } from 'tar';
import type { ReadEntry } from 'tar';
import { afterEach, describe, expect, it } from 'vitest';
import { ArtifactError } from '../../src/artifacts/artifact-error.js';
import type { Bundle } from '../../src/artifacts/bundle.js';
import { packBundle } from '../../src/artifacts/bundle.js';
import { linkTargetProblem } from '../../src/artifacts/entry-paths.js';
import { OciLayout } from '../../src/artifacts/oci-layout.js';
import { GantryError, NotFoundError } from '../../src/errors/index.js';
import { TempDirs } from '../support/temp.js';

const temp = new TempDirs();
afterEach(() => temp.cleanup());

/** A file of a tree: its bytes and whether it is executable. */
interface FileSpec {
  readonly data: string | Uint8Array;
  readonly exec?: boolean;
}
type Tree = Readonly<Record<string, FileSpec>>;

/** Writes files in the order given, each with the given mtime (seconds), and modes set explicitly (no umask). */
async function writeTree(root: string, tree: Tree, mtime = 1_700_000_000, order = Object.keys(tree)): Promise<void> {
  for (const path of order) {
    const spec = tree[path];
    if (!spec) continue;
    const file = join(root, path);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, spec.data);
    await chmod(file, spec.exec ? 0o755 : 0o644);
    await utimes(file, mtime, mtime);
  }
}

async function folderWith(tree: Tree): Promise<string> {
  const dir = await temp.make('gantry-bundle-');
  await writeTree(dir, tree);
  return dir;
}

function sha256(data: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

interface Listed {
  readonly path: string;
  readonly type: string;
  readonly mode: number | undefined;
  readonly uid: number | undefined;
  readonly gid: number | undefined;
  readonly uname: string | undefined;
  readonly gname: string | undefined;
  readonly mtime: Date | undefined;
  readonly linkpath: string | undefined;
}

async function listTar(gz: Buffer): Promise<Listed[]> {
  const entries: Listed[] = [];
  await new Promise<void>((resolve, reject) => {
    const parser = new Parser({
      strict: true,
      onReadEntry: (e: ReadEntry) => {
        entries.push({ path: e.path, type: e.type, mode: e.mode, uid: e.uid, gid: e.gid, uname: e.uname, gname: e.gname, mtime: e.mtime, linkpath: e.linkpath });
        e.resume();
      },
    });
    parser.on('error', reject);
    parser.on('end', () => resolve());
    parser.end(gz);
  });
  return entries;
}

/** A .tar.gz built by hand with raw headers, to feed the extractor what Gantry itself never writes. */
function craftedBundle(entries: ReadonlyArray<{ path: string; type?: 'File' | 'SymbolicLink' | 'Link'; linkpath?: string; body?: string }>): Bundle {
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    const body = Buffer.from(entry.body ?? '');
    const header = Buffer.alloc(512);
    new Header({ path: entry.path, mode: 0o644, uid: 0, gid: 0, size: body.length, mtime: new Date(0), type: entry.type ?? 'File', linkpath: entry.linkpath ?? '' }).encode(header);
    blocks.push(header, body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  const data = gzipSync(Buffer.concat(blocks));
  return { digest: sha256(data), size: data.length, data };
}

/** Runs `action` and returns what it threw, failing the test when it did not throw. */
async function thrown(action: () => Promise<unknown>): Promise<GantryError> {
  try {
    await action();
  } catch (error: unknown) {
    expect(error).toBeInstanceOf(GantryError);
    return error as GantryError;
  }
  throw new Error('expected the action to throw');
}

async function newLayout(): Promise<OciLayout> {
  const layout = new OciLayout(join(await temp.make('gantry-layout-'), 'artifacts'));
  await layout.init();
  return layout;
}

async function readJson(path: string): Promise<unknown> {
  return JSON.parse(await readFile(path, 'utf8')) as unknown;
}

const SAMPLE: Tree = {
  'index.js': { data: 'console.log("hi")\n' },
  'bin/start': { data: '#!/bin/sh\nnode index.js\n', exec: true },
  'lib/util.js': { data: 'export const x = 1;\n' },
};

describe('packBundle', () => {
  it('gives the same digest for the same content packed twice', async () => {
    const dir = await folderWith(SAMPLE);
    const first = await packBundle(dir);
    const second = await packBundle(dir);
    expect(second.digest).toBe(first.digest);
    expect(first.digest).toBe(sha256(first.data));
    expect(first.size).toBe(first.data.length);
  });

  it('gives the same digest after mtimes change and after the folder is copied elsewhere', async () => {
    const dir = await folderWith(SAMPLE);
    const before = await packBundle(dir);
    await utimes(join(dir, 'index.js'), 42, 42);
    await utimes(join(dir, 'lib'), 7, 7);
    expect((await packBundle(dir)).digest).toBe(before.digest);
    const copy = join(await temp.make(), 'elsewhere', 'out');
    await cp(dir, copy, { recursive: true });
    expect((await packBundle(copy)).digest).toBe(before.digest);
  });

  it('ignores permission bits other than execute, such as a private 0600 file', async () => {
    const dir = await folderWith(SAMPLE);
    const before = await packBundle(dir);
    await chmod(join(dir, 'index.js'), 0o600);
    await chmod(join(dir, 'bin/start'), 0o700);
    expect((await packBundle(dir)).digest).toBe(before.digest);
  });

  it('gives another digest when one byte, an execute bit or a name changes', async () => {
    const base = (await packBundle(await folderWith(SAMPLE))).digest;
    const byte = await folderWith({ ...SAMPLE, 'index.js': { data: 'console.log("hI")\n' } });
    const mode = await folderWith({ ...SAMPLE, 'index.js': { data: 'console.log("hi")\n', exec: true } });
    const { 'lib/util.js': util, ...rest } = SAMPLE;
    const renamed = await folderWith({ ...rest, 'lib/utils.js': util ?? { data: '' } });
    const digests = await Promise.all([byte, mode, renamed].map(async (d) => (await packBundle(d)).digest));
    expect(new Set([base, ...digests]).size).toBe(4);
  });

  it('writes sorted entries with uid and gid 0, no owner names, a fixed mtime and normalised modes', async () => {
    const dir = await folderWith({ ...SAMPLE, 'a-z.txt': { data: 'x' } });
    const entries = await listTar((await packBundle(dir)).data);
    expect(entries.map((e) => e.path)).toEqual(['a-z.txt', 'bin/', 'bin/start', 'index.js', 'lib/', 'lib/util.js']);
    for (const entry of entries) {
      expect({ uid: entry.uid, gid: entry.gid, uname: entry.uname ?? '', gname: entry.gname ?? '', mtime: entry.mtime?.getTime() }).toEqual({ uid: 0, gid: 0, uname: '', gname: '', mtime: 0 });
    }
    const modes = Object.fromEntries(entries.map((e) => [e.path, e.mode]));
    expect(modes).toEqual({ 'a-z.txt': 0o644, 'bin/': 0o755, 'bin/start': 0o755, 'index.js': 0o644, 'lib/': 0o755, 'lib/util.js': 0o644 });
  });

  it('writes a gzip header with no timestamp and an unknown OS', async () => {
    const { data } = await packBundle(await folderWith(SAMPLE));
    expect([...data.subarray(0, 10)]).toEqual([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255]);
    expect(gunzipSync(data).length % 512).toBe(0);
  });

  it('keeps paths longer than 100 characters', async () => {
    const long = `${'d'.repeat(90)}/${'f'.repeat(120)}.js`;
    const entries = await listTar((await packBundle(await folderWith({ [long]: { data: 'x' } }))).data);
    expect(entries.map((e) => e.path)).toContain(long);
  });

  it('stores a symlink as a link instead of following it', async () => {
    const dir = await folderWith(SAMPLE);
    await symlink('../index.js', join(dir, 'lib', 'entry.js'));
    const entries = await listTar((await packBundle(dir)).data);
    expect(entries.find((e) => e.path === 'lib/entry.js')).toMatchObject({ type: 'SymbolicLink', linkpath: '../index.js' });
  });

  it.each([['an absolute path', '/etc/passwd'], ['a path above the folder', '../../secret'], ['a climb after a descent', 'lib/../..']])(
    'refuses a symlink to %s with ARTIFACT_UNSAFE_ENTRY',
    async (_what, target) => {
      const dir = await folderWith(SAMPLE);
      await symlink(target, join(dir, 'escape'));
      const error = await thrown(() => packBundle(dir));
      expect(error).toBeInstanceOf(ArtifactError);
      expect(error.code).toBe('ARTIFACT_UNSAFE_ENTRY');
    },
  );

  it('refuses a missing folder, an empty folder and a folder of empty folders with ARTIFACT_EMPTY naming build.output', async () => {
    const root = await temp.make();
    await mkdir(join(root, 'empty'));
    await mkdir(join(root, 'hollow', 'a', 'b'), { recursive: true });
    for (const dir of ['missing', 'empty', 'hollow']) {
      const error = await thrown(() => packBundle(join(root, dir)));
      expect(error).toBeInstanceOf(ArtifactError);
      expect(error.code).toBe('ARTIFACT_EMPTY');
      expect(error.hint).toContain('build.output');
    }
  });

  describe('over random small trees', () => {
    const leaf = fc.constantFrom('x', 'y', 'z.js', 'W');
    // Folder names and file names come from different sets, so a path is never both.
    const path = fc.tuple(fc.array(fc.constantFrom('d', 'e'), { maxLength: 2 }), leaf).map(([dirs, name]) => [...dirs, name].join('/'));
    const file = fc.record({ data: fc.uint8Array({ maxLength: 64 }), exec: fc.boolean() });
    const tree = fc.dictionary(path, file, { minKeys: 1, maxKeys: 6 });

    it('gives one digest per content, whatever the write order and mtimes', async () => {
      await fc.assert(
        fc.asyncProperty(tree, fc.integer({ min: 1, max: 2_000_000_000 }), async (files, mtime) => {
          const a = await temp.make();
          const b = await temp.make();
          await writeTree(a, files);
          await writeTree(b, files, mtime, Object.keys(files).reverse());
          expect((await packBundle(b)).digest).toBe((await packBundle(a)).digest);
        }),
        { numRuns: 25 },
      );
    });

    it('gives another digest when any one byte or execute bit changes', async () => {
      await fc.assert(
        fc.asyncProperty(tree, fc.nat(), fc.nat(), fc.boolean(), async (files, pick, at, flipMode) => {
          const paths = Object.keys(files);
          const victim = paths[pick % paths.length] ?? '';
          const original = files[victim] ?? { data: new Uint8Array(), exec: false };
          const data = Uint8Array.from(original.data);
          const changed: FileSpec = flipMode || data.length === 0 ? { data, exec: !original.exec } : { data: data.map((v, i) => (i === at % data.length ? v ^ 1 : v)), exec: original.exec };
          const before = (await packBundle(await folderWith(files))).digest;
          const after = (await packBundle(await folderWith({ ...files, [victim]: changed }))).digest;
          expect(after).not.toBe(before);
        }),
        { numRuns: 25 },
      );
    });
  });
});

describe('OciLayout files', () => {
  it('creates oci-layout, an empty image index and blobs/sha256 on init, and init can run again', async () => {
    const layout = await newLayout();
    await layout.init();
    expect(await readJson(join(layout.root, 'oci-layout'))).toEqual({ imageLayoutVersion: '1.0.0' });
    expect(await readJson(join(layout.root, 'index.json'))).toEqual({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [] });
    expect((await stat(join(layout.root, 'blobs', 'sha256'))).isDirectory()).toBe(true);
  });

  it('stores a bundle as an image manifest with a config and one tar+gzip layer, each blob named by the sha256 of its bytes', async () => {
    const layout = await newLayout();
    const bundle = await packBundle(await folderWith(SAMPLE));
    const stored = await layout.put('nest-api', bundle, { 'org.opencontainers.image.revision': '3f1c2d4' });
    expect(stored).toEqual({ service: 'nest-api', manifestDigest: expect.stringMatching(/^sha256:[a-f0-9]{64}$/), layerDigest: bundle.digest, size: bundle.size });

    const blobFolder = join(layout.root, 'blobs', 'sha256');
    const names = await readdir(blobFolder);
    expect(names).toHaveLength(3);
    for (const name of names) expect(sha256(await readFile(join(blobFolder, name)))).toBe(`sha256:${name}`);

    const manifest = await readJson(join(blobFolder, stored.manifestDigest.slice('sha256:'.length)));
    expect(manifest).toEqual({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.gantry.bundle.config.v1+json', digest: expect.stringMatching(/^sha256:/), size: expect.any(Number) },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: bundle.digest, size: bundle.size }],
      annotations: { 'org.opencontainers.image.revision': '3f1c2d4' },
    });
    expect(await layout.manifest(stored.manifestDigest)).toEqual({ layerDigest: bundle.digest, size: bundle.size, service: 'nest-api' });
  });

  it('gives the same manifest digest when the same bundle is stored again', async () => {
    const layout = await newLayout();
    const dir = await folderWith(SAMPLE);
    const first = await layout.put('nest-api', await packBundle(dir));
    const second = await layout.put('nest-api', await packBundle(dir));
    expect(second).toEqual(first);
    expect(await readdir(join(layout.root, 'blobs', 'sha256'))).toHaveLength(3);
  });

  it('refuses a bundle whose data does not match its digest with ARTIFACT_DIGEST_MISMATCH', async () => {
    const layout = await newLayout();
    const bundle = await packBundle(await folderWith(SAMPLE));
    const error = await thrown(() => layout.put('nest-api', { ...bundle, data: Buffer.concat([bundle.data, Buffer.from([0])]) }));
    expect(error).toBeInstanceOf(ArtifactError);
    expect(error.code).toBe('ARTIFACT_DIGEST_MISMATCH');
  });

  it('refuses to store into a folder that was never initialised with ARTIFACT_LAYOUT_INVALID', async () => {
    const layout = new OciLayout(await temp.make());
    const error = await thrown(async () => layout.put('nest-api', await packBundle(await folderWith(SAMPLE))));
    expect(error).toBeInstanceOf(ArtifactError);
    expect(error.code).toBe('ARTIFACT_LAYOUT_INVALID');
  });

  it('reports an unknown manifest digest as ARTIFACT_NOT_FOUND', async () => {
    const layout = await newLayout();
    const error = await thrown(() => layout.manifest(sha256('nothing')));
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error.code).toBe('ARTIFACT_NOT_FOUND');
  });

  it('leaves no temp files behind', async () => {
    const layout = await newLayout();
    const stored = await layout.put('nest-api', await packBundle(await folderWith(SAMPLE)));
    await layout.tag('nest-api:abc', stored.manifestDigest);
    expect((await readdir(layout.root)).sort()).toEqual(['blobs', 'index.json', 'oci-layout']);
    expect((await readdir(join(layout.root, 'blobs', 'sha256'))).every((n) => /^[a-f0-9]{64}$/.test(n))).toBe(true);
  });
});

describe('OciLayout tags', () => {
  async function twoArtifacts(): Promise<{ layout: OciLayout; a: string; b: string }> {
    const layout = await newLayout();
    const a = (await layout.put('nest-api', await packBundle(await folderWith(SAMPLE)))).manifestDigest;
    const b = (await layout.put('nest-api', await packBundle(await folderWith({ ...SAMPLE, 'index.js': { data: 'v2' } })))).manifestDigest;
    return { layout, a, b };
  }

  it('writes one index.json descriptor per ref, named by the full ref', async () => {
    const { layout, a } = await twoArtifacts();
    await layout.tag('nest-api:3f1c2d4', a, { immutable: true });
    await layout.tag('nest-api:dev-latest', a);
    const index = (await readJson(join(layout.root, 'index.json'))) as { schemaVersion: number; manifests: Array<Record<string, unknown>> };
    expect(index.schemaVersion).toBe(2);
    const manifestSize = (await readFile(join(layout.root, 'blobs', 'sha256', a.slice(7)))).length;
    expect(index.manifests).toEqual([
      { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: a, size: manifestSize, annotations: { 'org.opencontainers.image.ref.name': 'nest-api:3f1c2d4', 'dev.gantry.immutable': 'true' } },
      { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: a, size: manifestSize, annotations: { 'org.opencontainers.image.ref.name': 'nest-api:dev-latest' } },
    ]);
    expect(await layout.tags()).toEqual([
      { ref: 'nest-api:3f1c2d4', digest: a, immutable: true },
      { ref: 'nest-api:dev-latest', digest: a, immutable: false },
    ]);
    expect(await layout.resolve('nest-api:3f1c2d4')).toBe(a);
    expect(await layout.resolve('nest-api:unknown')).toBeUndefined();
  });

  it('refuses to move an immutable tag to another manifest with ARTIFACT_TAG_IMMUTABLE', async () => {
    const { layout, a, b } = await twoArtifacts();
    await layout.tag('nest-api:production-latest', a, { immutable: true });
    const error = await thrown(() => layout.tag('nest-api:production-latest', b, { immutable: true }));
    expect(error).toBeInstanceOf(ArtifactError);
    expect(error.code).toBe('ARTIFACT_TAG_IMMUTABLE');
    const mutableRetry = await thrown(() => layout.tag('nest-api:production-latest', b));
    expect(mutableRetry.code).toBe('ARTIFACT_TAG_IMMUTABLE');
    expect(await layout.resolve('nest-api:production-latest')).toBe(a);
  });

  it('accepts tagging an immutable tag again with the same manifest and keeps it immutable', async () => {
    const { layout, a } = await twoArtifacts();
    await layout.tag('nest-api:3f1c2d4', a, { immutable: true });
    await layout.tag('nest-api:3f1c2d4', a, { immutable: true });
    await layout.tag('nest-api:3f1c2d4', a);
    expect(await layout.tags()).toEqual([{ ref: 'nest-api:3f1c2d4', digest: a, immutable: true }]);
  });

  it('moves a mutable tag to another manifest', async () => {
    const { layout, a, b } = await twoArtifacts();
    await layout.tag('nest-api:staging-latest', a);
    await layout.tag('nest-api:staging-latest', b);
    expect(await layout.tags()).toEqual([{ ref: 'nest-api:staging-latest', digest: b, immutable: false }]);
  });

  it('keeps every tag when many are written at once, through two layout objects over one folder', async () => {
    const { layout, a, b } = await twoArtifacts();
    const twin = new OciLayout(layout.root);
    const refs = Array.from({ length: 30 }, (_, i) => `nest-api:t${i}`);
    await Promise.all(refs.map((ref, i) => (i % 2 ? layout : twin).tag(ref, i % 3 ? a : b, { immutable: i % 4 === 0 })));
    expect((await layout.tags()).map((t) => t.ref).sort()).toEqual([...refs].sort());
  });

  it('refuses a tag that names another service than the artifact, and a malformed ref, with ARTIFACT_REF_INVALID', async () => {
    const { layout, a } = await twoArtifacts();
    for (const ref of ['billing:3f1c2d4', 'nest-api', 'nest-api:', 'Nest:x', 'nest-api:-x', 'nest-api:a:b']) {
      const error = await thrown(() => layout.tag(ref, a));
      expect(error).toBeInstanceOf(ArtifactError);
      expect(error.code).toBe('ARTIFACT_REF_INVALID');
    }
    const badDigest = await thrown(() => layout.tag('nest-api:x', 'sha256:../../etc'));
    expect(badDigest.code).toBe('ARTIFACT_REF_INVALID');
  });
});

describe('OciLayout verify and unpack', () => {
  async function storedSample(tree: Tree = SAMPLE): Promise<{ layout: OciLayout; manifestDigest: string; layerDigest: string; dir: string }> {
    const layout = await newLayout();
    const dir = await folderWith(tree);
    const stored = await layout.put('nest-api', await packBundle(dir));
    return { layout, dir, ...stored };
  }

  async function flipByte(path: string, at: number): Promise<void> {
    const data = await readFile(path);
    data[at] = (data[at] ?? 0) ^ 0xff;
    await writeFile(path, data);
  }

  it('passes verify for an untouched artifact', async () => {
    const { layout, manifestDigest } = await storedSample();
    await expect(layout.verify(manifestDigest)).resolves.toBeUndefined();
  });

  it('detects a layer blob with one byte changed, naming the blob, with ARTIFACT_DIGEST_MISMATCH', async () => {
    const { layout, manifestDigest, layerDigest } = await storedSample();
    const blob = join(layout.root, 'blobs', 'sha256', layerDigest.slice(7));
    await flipByte(blob, 40);
    const error = await thrown(() => layout.verify(manifestDigest));
    expect(error).toBeInstanceOf(ArtifactError);
    expect(error.code).toBe('ARTIFACT_DIGEST_MISMATCH');
    expect(error.message).toContain(blob);
  });

  it('detects a damaged manifest blob with ARTIFACT_DIGEST_MISMATCH', async () => {
    const { layout, manifestDigest } = await storedSample();
    await flipByte(join(layout.root, 'blobs', 'sha256', manifestDigest.slice(7)), 5);
    const error = await thrown(() => layout.verify(manifestDigest));
    expect(error.code).toBe('ARTIFACT_DIGEST_MISMATCH');
  });

  it('unpacks files, execute bits and symlinks as they were packed', async () => {
    const layout = await newLayout();
    const dir = await folderWith(SAMPLE);
    await symlink('../index.js', join(dir, 'lib', 'entry.js'));
    const { manifestDigest } = await layout.put('nest-api', await packBundle(dir));
    const dest = join(await temp.make(), 'revision-1');
    await layout.unpack(manifestDigest, dest);
    for (const [path, spec] of Object.entries(SAMPLE)) {
      expect(await readFile(join(dest, path), 'utf8')).toBe(spec.data);
      expect((await stat(join(dest, path))).mode & 0o777).toBe(spec.exec ? 0o755 : 0o644);
    }
    expect(await readlink(join(dest, 'lib', 'entry.js'))).toBe('../index.js');
    expect((await packBundle(dest)).digest).toBe((await packBundle(dir)).digest);
  });

  it('refuses to unpack a damaged layer and writes nothing', async () => {
    const { layout, manifestDigest, layerDigest } = await storedSample();
    await flipByte(join(layout.root, 'blobs', 'sha256', layerDigest.slice(7)), 40);
    const dest = join(await temp.make(), 'revision-1');
    const error = await thrown(() => layout.unpack(manifestDigest, dest));
    expect(error.code).toBe('ARTIFACT_DIGEST_MISMATCH');
    await expect(stat(dest)).rejects.toThrow();
  });

  it.each([
    ['a ../ path', [{ path: 'ok.txt', body: 'ok' }, { path: '../evil', body: 'pwned' }]],
    ['an absolute path', [{ path: '/tmp/gantry-evil-absolute', body: 'pwned' }]],
    ['a symlink pointing out', [{ path: 'link', type: 'SymbolicLink' as const, linkpath: '../..' }]],
    ['a file written through a symlink', [{ path: 'link', type: 'SymbolicLink' as const, linkpath: '.' }, { path: 'link/evil', body: 'pwned' }]],
    ['a hard link', [{ path: 'hard', type: 'Link' as const, linkpath: 'x' }]],
  ])('refuses a crafted layer with %s with ARTIFACT_UNSAFE_ENTRY, before writing anything', async (_what, entries) => {
    const layout = await newLayout();
    const { manifestDigest } = await layout.put('nest-api', craftedBundle(entries));
    const parent = await temp.make();
    const dest = join(parent, 'revision-1');
    const error = await thrown(() => layout.unpack(manifestDigest, dest));
    expect(error).toBeInstanceOf(ArtifactError);
    expect(error.code).toBe('ARTIFACT_UNSAFE_ENTRY');
    expect(await readdir(parent)).toEqual([]);
    await expect(lstat('/tmp/gantry-evil-absolute')).rejects.toThrow();
  });

  it('refuses a layer that is not a tar archive with ARTIFACT_UNSAFE_ENTRY', async () => {
    const layout = await newLayout();
    const data = gzipSync(Buffer.from('not a tar archive at all'));
    const { manifestDigest } = await layout.put('nest-api', { digest: sha256(data), size: data.length, data });
    const error = await thrown(async () => layout.unpack(manifestDigest, join(await temp.make(), 'out')));
    expect(error).toBeInstanceOf(ArtifactError);
    expect(error.code).toBe('ARTIFACT_UNSAFE_ENTRY');
  });

  it('unpacks what random small trees held', async () => {
    const layout = await newLayout();
    const name = fc.constantFrom('a', 'b.txt', 'C');
    const tree = fc.dictionary(fc.tuple(fc.constantFrom('', 'sub/'), name).map(([d, n]) => d + n), fc.record({ data: fc.string({ maxLength: 40 }), exec: fc.boolean() }), { minKeys: 1, maxKeys: 5 });
    await fc.assert(
      fc.asyncProperty(tree, async (files) => {
        const { manifestDigest } = await layout.put('nest-api', await packBundle(await folderWith(files)));
        const dest = join(await temp.make(), 'out');
        await layout.unpack(manifestDigest, dest);
        for (const [path, spec] of Object.entries(files)) {
          expect(await readFile(join(dest, path), 'utf8')).toBe(spec.data);
          expect((await stat(join(dest, path))).mode & 0o111).toBe(spec.exec ? 0o111 : 0);
        }
      }),
      { numRuns: 15 },
    );
  });
});

describe('symlink targets', () => {
  it.each([
    ['lib/entry.js', '../index.js', true],
    ['a/b/l', '../../x', true],
    ['l', 'sub/file', true],
    ['l', '.', true],
    ['l', '../x', false],
    ['a/l', '/etc/passwd', false],
    ['a/l', 'b/../../x', false],
    ['a/l', 'b/..', false],
    ['a/l', '', false],
  ])('judges a link at %s to %s as staying inside: %s', (path, target, inside) => {
    expect(linkTargetProblem(path, target) === undefined).toBe(inside);
  });
});
