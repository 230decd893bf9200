import { posix } from 'node:path';
import { deterministicGzip } from '../bundle.js';
import { collectEntries } from '../bundle-entries.js';
import { sha256Digest } from '../digest.js';
import type { OciLayout } from '../oci-layout.js';
import { encodeTar, type TarEntry } from '../tar-writer.js';
import { ImageError } from './image-error.js';
import { layoutEntries } from './layout-entries.js';

/** The service's files: its build output folder, or the bundle artifact stored for it. */
export type BundleSource = { readonly dir: string } | { readonly layout: OciLayout; readonly digest: string };

/** The one layer Gantry adds to a base image. */
export interface AppLayer {
  /** sha256 of the uncompressed tar: the config's `rootfs.diff_ids` entry. */
  readonly diffId: string;
  /** sha256 of the gzip bytes: the manifest's layer descriptor. */
  readonly digest: string;
  readonly size: number;
  readonly data: Buffer;
}

export const DEFAULT_WORKDIR = '/app';

/**
 * The bundle's files in the order and with the modes the bundle is packed with. From a layout the
 * artifact's layer is verified against its digest first, so the image holds exactly what was released.
 */
export async function bundleEntries(source: BundleSource): Promise<TarEntry[]> {
  return 'dir' in source ? collectEntries(source.dir) : layoutEntries(source.layout, source.digest);
}

/**
 * The bundle under `workdir` as a tar whose bytes depend only on the files, the folder and `mtime`
 * (the commit's time): entries sorted, uid/gid 0, fixed modes. The folders leading to `workdir`
 * come first, so the layer stands on any base. `diffId` is its sha256.
 */
export function layerTar(entries: readonly TarEntry[], workdir: string, mtime: Date): { tar: Buffer; diffId: string } {
  const prefix = workdirPrefix(workdir);
  const parts = prefix.split('/');
  const parents: TarEntry[] = parts.map((_, i) => ({ type: 'Directory', path: `${parts.slice(0, i + 1).join('/')}/`, mode: 0o755 }));
  const moved = entries.map((entry): TarEntry => ({ ...entry, path: `${prefix}/${entry.path}` }));
  const tar = encodeTar([...parents, ...moved], { mtime: wholeSeconds(mtime) });
  return { tar, diffId: sha256Digest(tar) };
}

// diff_id → gzip digest and size. Gzip settings are pinned, so the mapping never changes within a
// Node release: an unchanged layer the registry already has need not be compressed again (most
// of an unchanged assembly's time). Bounded; the oldest entry goes first.
const compressed = new Map<string, { digest: string; size: number }>();
const REMEMBERED = 512;

/** The gzip layer of a tar from `layerTar`, with pinned settings (the same bytes on every run). */
export async function compressLayer(tar: Buffer, diffId: string): Promise<AppLayer> {
  const data = await deterministicGzip(tar);
  const layer = { diffId, digest: sha256Digest(data), size: data.length, data };
  compressed.set(diffId, { digest: layer.digest, size: layer.size });
  if (compressed.size > REMEMBERED) compressed.delete(compressed.keys().next().value ?? '');
  return layer;
}

/** The compressed digest and size of a tar this process compressed before, if any. */
export const knownCompression = (diffId: string): { digest: string; size: number } | undefined => compressed.get(diffId);

/** `layerTar` then `compressLayer`. */
export async function buildAppLayer(entries: readonly TarEntry[], workdir: string, mtime: Date): Promise<AppLayer> {
  const { tar, diffId } = layerTar(entries, workdir, mtime);
  return compressLayer(tar, diffId);
}

/** `/app` → `app`; refuses what is not a clean absolute path below `/`. */
export function workdirPrefix(workdir: string): string {
  const trimmed = workdir.replace(/\/+$/, '');
  const normal = posix.normalize(trimmed);
  if (!trimmed.startsWith('/') || normal !== trimmed || workdir.includes('\\')) {
    throw new ImageError('IMAGE_INPUT_INVALID', `the image working folder "${workdir}" is not a clean absolute path below /`, {
      hint: 'Use an absolute folder such as /app (no "..", no trailing parts to resolve).',
      details: { workdir },
    });
  }
  return normal.slice(1);
}

/** Tar stores seconds; dropping the milliseconds here keeps the config's `created` and the layer in step. */
export const wholeSeconds = (time: Date): Date => new Date(Math.floor(time.getTime() / 1000) * 1000);
