import { open } from 'node:fs/promises';
import { sha256Digest } from '../digest.js';

/** Bytes to upload, read a range at a time so a large layer is never held in memory whole. */
export interface BlobSource {
  readonly digest: string;
  readonly size: number;
  read(offset: number, length: number): Promise<Buffer>;
}

export function bufferSource(data: Buffer): BlobSource {
  return { digest: sha256Digest(data), size: data.length, read: async (offset, length) => data.subarray(offset, offset + length) };
}

/**
 * A file whose digest the caller already checked (the layout re-hashes blobs before pushing);
 * the registry checks it again when the upload completes.
 */
export function fileSource(path: string, digest: string, size: number): BlobSource {
  return {
    digest,
    size,
    read: async (offset, length) => {
      const file = await open(path, 'r');
      try {
        const buffer = Buffer.alloc(Math.min(length, size - offset));
        const { bytesRead } = await file.read(buffer, 0, buffer.length, offset);
        return buffer.subarray(0, bytesRead);
      } finally {
        await file.close();
      }
    },
  };
}
