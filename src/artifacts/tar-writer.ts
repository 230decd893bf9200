import { Header, Pax } from 'tar';

/** What a bundle may hold. Hard links are stored as plain files, so a copy of the folder packs the same. */
export type TarEntry =
  | { readonly type: 'File'; readonly path: string; readonly mode: number; readonly data: Buffer }
  | { readonly type: 'Directory'; readonly path: string; readonly mode: number }
  | { readonly type: 'SymbolicLink'; readonly path: string; readonly linkpath: string };

const BLOCK = 512;
/** Every entry gets this mtime: the time a file was written says nothing about what it holds. */
const FIXED_MTIME = new Date(0);
/** Link permissions are ignored by Linux and macOS; 0777 is what `ln -s` reports. */
const LINK_MODE = 0o777;

/**
 * Encodes entries, in the order given, as a ustar archive whose bytes depend only on paths, modes
 * and contents: uid/gid 0, empty owner names, fixed mtime (`options.mtime`, else the epoch: an image
 * layer takes its commit's time), no atime/ctime. Paths too long for ustar
 * get a pax header that carries only the path (and link target), nothing machine-specific.
 *
 * node-tar's `Pack` reads these fields from the filesystem; encoding headers ourselves is the way
 * to pin every one of them without patching the library.
 */
export function encodeTar(entries: readonly TarEntry[], options: { mtime?: Date } = {}): Buffer {
  const chunks: Buffer[] = [];
  for (const entry of entries) chunks.push(...encodeEntry(entry, options.mtime ?? FIXED_MTIME));
  chunks.push(Buffer.alloc(BLOCK * 2)); // the end-of-archive marker: two zero blocks
  return Buffer.concat(chunks);
}

function encodeEntry(entry: TarEntry, mtime: Date): Buffer[] {
  const size = entry.type === 'File' ? entry.data.length : 0;
  const linkpath = entry.type === 'SymbolicLink' ? entry.linkpath : '';
  const block = Buffer.alloc(BLOCK);
  const needsPax = new Header({
    path: entry.path,
    mode: entry.type === 'SymbolicLink' ? LINK_MODE : entry.mode,
    uid: 0,
    gid: 0,
    size,
    mtime,
    type: entry.type,
    linkpath,
    uname: '',
    gname: '',
    devmaj: 0,
    devmin: 0,
  }).encode(block);
  const chunks: Buffer[] = [];
  if (needsPax) chunks.push(new Pax({ path: entry.path, ...(linkpath === '' ? {} : { linkpath }) }).encode());
  chunks.push(block);
  if (entry.type === 'File') chunks.push(entry.data, Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK));
  return chunks;
}
