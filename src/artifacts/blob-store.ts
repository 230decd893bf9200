import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { NotFoundError } from '../errors/index.js';
import { ArtifactError } from './artifact-error.js';
import { atomicWriteFile } from './atomic-write.js';
import { digestHex, sha256Digest, sha256File } from './digest.js';

const DAMAGED_HINT = 'The artifact store was changed or damaged on disk. Rebuild the release, or restore the store folder from a backup; blobs must never be edited.';

/** The `blobs/sha256/<hex>` part of an OCI layout: content-addressed files, written once. */
export class BlobStore {
  constructor(private readonly root: string) {}

  pathOf(digest: string): string {
    return join(this.root, 'blobs', 'sha256', digestHex(digest));
  }

  /**
   * Stores bytes under their digest. Idempotent; an existing blob of the right size is kept as is
   * (same name, same size, same hash: rewriting it would only cost I/O; `verify` catches damage).
   * With `claimed`, refuses bytes that do not match what the caller says they are.
   */
  async write(data: Buffer, claimed?: { digest: string; size: number }): Promise<{ digest: string; size: number }> {
    const digest = sha256Digest(data);
    if (claimed && (claimed.digest !== digest || claimed.size !== data.length)) {
      throw new ArtifactError('ARTIFACT_DIGEST_MISMATCH', `the bundle claims ${claimed.digest} (${claimed.size} bytes) but its data is ${digest} (${data.length} bytes)`, {
        hint: 'Store the bundle exactly as packBundle returned it; its data was changed afterwards.',
        details: { expected: claimed.digest, actual: digest },
      });
    }
    const path = this.pathOf(digest);
    if ((await sizeOf(path)) !== data.length) await atomicWriteFile(path, data);
    return { digest, size: data.length };
  }

  /** Reads a whole blob and checks it against its digest (and its descriptor's size) before anyone trusts it. */
  async read(digest: string, expectedSize?: number): Promise<Buffer> {
    const path = this.pathOf(digest);
    let data: Buffer;
    try {
      data = await readFile(path);
    } catch (error: unknown) {
      throw isMissing(error) ? missingBlob(digest, path, error) : error;
    }
    const actual = sha256Digest(data);
    if (actual !== digest) throw mismatch(path, `its content hashes to ${actual}, not ${digest}`, { expected: digest, actual });
    if (expectedSize !== undefined && data.length !== expectedSize) throw mismatch(path, `it has ${data.length} bytes where its descriptor says ${expectedSize}`, { expected: digest, actual });
    return data;
  }

  /** Re-hashes a blob as a stream (layers can be large) and checks the size its descriptor claims. */
  async verify(digest: string, expectedSize: number): Promise<void> {
    const path = this.pathOf(digest);
    let found: { digest: string; size: number };
    try {
      found = await sha256File(path);
    } catch (error: unknown) {
      throw isMissing(error) ? missingBlob(digest, path, error) : error;
    }
    if (found.digest !== digest) throw mismatch(path, `its content hashes to ${found.digest}, not ${digest}`, { expected: digest, actual: found.digest });
    if (found.size !== expectedSize) throw mismatch(path, `it has ${found.size} bytes where its descriptor says ${expectedSize}`, { expected: digest, actual: found.digest });
  }
}

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch (error: unknown) {
    if (isMissing(error)) return undefined;
    throw error;
  }
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === 'ENOENT';
}

function missingBlob(digest: string, path: string, cause: unknown): NotFoundError {
  return new NotFoundError('ARTIFACT_NOT_FOUND', `no blob ${digest} in the artifact store`, { where: path, cause, hint: 'Check the digest, and that the artifact was stored in this layout folder (it is built once, on the server that ran the build).' });
}

function mismatch(path: string, problem: string, details: { expected: string; actual: string }): ArtifactError {
  return new ArtifactError('ARTIFACT_DIGEST_MISMATCH', `blob ${path} is damaged: ${problem}`, { where: path, hint: DAMAGED_HINT, details: { blob: path, ...details } });
}
