import { chmod, mkdir, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Parser, type ReadEntry } from 'tar';
import { afterAll, describe, expect, it } from 'vitest';
import { sha256Digest } from '../../src/artifacts/digest.js';
import { OciLayout, packBundle } from '../../src/artifacts/index.js';
import { buildAppLayer, bundleEntries, ImageError } from '../../src/artifacts/images/index.js';
import { TempDirs } from '../support/temp.js';

const temp = new TempDirs();
afterAll(() => temp.cleanup());

const commit = new Date('2026-11-30T12:34:56.789Z');

interface Header {
  path: string;
  type: string;
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  linkpath: string;
}

function headers(tar: Buffer): Header[] {
  const found: Header[] = [];
  const parser = new Parser();
  parser.on('entry', (entry: ReadEntry) => {
    found.push({ path: entry.path, type: entry.type, mode: entry.mode ?? -1, uid: entry.uid ?? -1, gid: entry.gid ?? -1, mtime: entry.mtime?.getTime() ?? -1, linkpath: entry.linkpath ?? '' });
    entry.resume();
  });
  parser.end(tar);
  return found;
}

async function sampleFolder(): Promise<string> {
  const dir = await temp.make('gantry-layer-');
  await mkdir(join(dir, 'lib'));
  await writeFile(join(dir, 'server.mjs'), 'console.log(1)\n');
  await writeFile(join(dir, 'lib', 'run.sh'), '#!/bin/sh\n');
  await chmod(join(dir, 'lib', 'run.sh'), 0o700);
  await writeFile(join(dir, 'b.txt'), 'b');
  await symlink('server.mjs', join(dir, 'main.mjs'));
  return dir;
}

describe('the layer an assembled image adds', () => {
  it('puts the bundle under the working folder, sorted, owned by root, with fixed modes and the commit time', async () => {
    const layer = await buildAppLayer(await bundleEntries({ dir: await sampleFolder() }), '/srv/app', commit);
    const tar = gunzipSync(layer.data);
    expect(layer.diffId).toBe(sha256Digest(tar));
    expect(layer.digest).toBe(sha256Digest(layer.data));
    expect(layer.size).toBe(layer.data.length);
    const found = headers(tar);
    expect(found.map((h) => h.path)).toEqual(['srv/', 'srv/app/', 'srv/app/b.txt', 'srv/app/lib/', 'srv/app/lib/run.sh', 'srv/app/main.mjs', 'srv/app/server.mjs']);
    expect(new Set(found.map((h) => `${h.uid}:${h.gid}`))).toEqual(new Set(['0:0']));
    expect(new Set(found.map((h) => h.mtime))).toEqual(new Set([Date.parse('2026-11-30T12:34:56Z')]));
    expect(found.find((h) => h.path === 'srv/app/lib/run.sh')?.mode).toBe(0o755);
    expect(found.find((h) => h.path === 'srv/app/b.txt')?.mode).toBe(0o644);
    expect(found.find((h) => h.path === 'srv/app/main.mjs')).toMatchObject({ type: 'SymbolicLink', linkpath: 'server.mjs' });
    // gzip: no name, mtime 0, OS "unknown", so the bytes do not depend on the machine.
    expect([...layer.data.subarray(4, 8)]).toEqual([0, 0, 0, 0]);
    expect(layer.data[9]).toBe(255);
  });

  it('gives the same bytes for a copy of the folder touched at another time, and other bytes for another commit time', async () => {
    const one = await sampleFolder();
    const two = await sampleFolder();
    await utimes(join(two, 'server.mjs'), new Date('2001-01-01'), new Date('2001-01-01'));
    const first = await buildAppLayer(await bundleEntries({ dir: one }), '/app', commit);
    const second = await buildAppLayer(await bundleEntries({ dir: two }), '/app', commit);
    expect(second.data.equals(first.data)).toBe(true);
    const later = await buildAppLayer(await bundleEntries({ dir: one }), '/app', new Date(commit.getTime() + 1000));
    expect(later.digest).not.toBe(first.digest);
    const sameSecond = await buildAppLayer(await bundleEntries({ dir: one }), '/app/', new Date('2026-11-30T12:34:56.001Z'));
    expect(sameSecond.digest).toBe(first.digest);
  });

  it('reads a stored bundle to the same entries as its folder, long paths, links and modes included', async () => {
    const dir = await sampleFolder();
    const deep = join(dir, 'a'.repeat(60), 'b'.repeat(60));
    await mkdir(deep, { recursive: true });
    await writeFile(join(deep, `${'c'.repeat(80)}.js`), 'deep');
    const layout = new OciLayout(join(await temp.make('gantry-layer-layout-'), 'layout'));
    await layout.init();
    const stored = await layout.put('api', await packBundle(dir));
    const fromLayout = await bundleEntries({ layout, digest: stored.manifestDigest });
    expect(fromLayout).toEqual(await bundleEntries({ dir }));
    const one = await buildAppLayer(fromLayout, '/app', commit);
    expect(one.digest).toBe((await buildAppLayer(await bundleEntries({ dir }), '/app', commit)).digest);
  });

  it.each(['app', '/', '/app/../etc', '/a//b', 'C:\\app'])('refuses the working folder %j', async (workdir) => {
    const error = await buildAppLayer([], workdir, commit).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(ImageError);
    expect((error as ImageError).code).toBe('IMAGE_INPUT_INVALID');
  });
});
