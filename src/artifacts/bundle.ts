import { promisify } from 'node:util';
import { constants, gzip } from 'node:zlib';
import { collectEntries } from './bundle-entries.js';
import { sha256Digest } from './digest.js';
import { encodeTar } from './tar-writer.js';

/** A release artifact's content: a deterministic .tar.gz of a build output folder. */
export interface Bundle {
  /** `sha256:<hex>` of `data`. */
  readonly digest: string;
  readonly size: number;
  readonly data: Buffer;
}

const gzipAsync = promisify(gzip);
/** Byte 9 of a gzip header names the OS; zlib writes the build platform's, 255 means "unknown". */
const GZIP_OS_OFFSET = 9;
const GZIP_OS_UNKNOWN = 255;

/**
 * Packs a folder so that the same content always gives the same digest: on another machine, in
 * another folder, after `touch`, by another user. Any change of a byte, a name, an execute bit or a
 * link target gives another digest.
 *
 * Throws `ARTIFACT_EMPTY` when the folder is missing or holds no file, and `ARTIFACT_UNSAFE_ENTRY`
 * for a link leaving the folder or a special file.
 */
export async function packBundle(dir: string): Promise<Bundle> {
  const tar = encodeTar(await collectEntries(dir));
  const data = await deterministicGzip(tar);
  return { digest: sha256Digest(data), size: data.length, data };
}

/**
 * Node's gzip header already has mtime 0 and no file name; the OS byte is the one field that
 * varies, so it is pinned. Every deflate setting is spelt out so that a change of Node's defaults
 * cannot silently change digests. (A different zlib build may still compress differently; the
 * digest is stable for a given Node release, which is what "build once" needs.)
 */
export async function deterministicGzip(data: Buffer): Promise<Buffer> {
  const compressed = await gzipAsync(data, { level: 6, memLevel: 8, windowBits: 15, strategy: constants.Z_DEFAULT_STRATEGY });
  compressed[GZIP_OS_OFFSET] = GZIP_OS_UNKNOWN;
  return compressed;
}
