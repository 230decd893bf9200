import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ArtifactError } from './artifact-error.js';
import { atomicWriteFile } from './atomic-write.js';
import { IndexSpec, MediaType } from './oci-types.js';
import type { ImageIndex } from './oci-types.js';
import { SerialQueue } from './serial-queue.js';

/**
 * One queue per layout folder for the whole process, so that two `OciLayout` objects over the same
 * folder still take turns. Other processes are not covered: one server owns a layout.
 */
const queues = new Map<string, SerialQueue>();

function queueFor(root: string): SerialQueue {
  const key = resolve(root);
  let queue = queues.get(key);
  if (!queue) queues.set(key, (queue = new SerialQueue()));
  return queue;
}

/** The layout's index.json: read freely (renames make it atomic), changed only through the queue. */
export class IndexFile {
  private readonly path: string;
  private readonly queue: SerialQueue;

  constructor(root: string) {
    this.path = join(root, 'index.json');
    this.queue = queueFor(root);
  }

  async read(): Promise<ImageIndex> {
    const text = await this.readText();
    if (text === undefined) throw invalid(this.path, 'index.json is missing', 'Call init() on the layout (or run the build once) before tagging or reading tags.');
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error: unknown) {
      throw invalid(this.path, `index.json is not JSON (${(error as Error).message})`, RESTORE_HINT, error);
    }
    const result = IndexSpec.safeParse(parsed);
    if (!result.success) throw invalid(this.path, `index.json is not an OCI image index: ${result.error.issues[0]?.message ?? 'bad shape'}`, RESTORE_HINT);
    return result.data;
  }

  /** Writes an empty index unless one exists. Queued, so it can never overwrite a concurrent tag. */
  create(): Promise<void> {
    return this.queue.run(async () => {
      if ((await this.readText()) === undefined) await this.write({ schemaVersion: 2, mediaType: MediaType.Index, manifests: [] });
    });
  }

  /** Read, change, write, with no other update in between. */
  update(change: (index: ImageIndex) => ImageIndex): Promise<void> {
    return this.queue.run(async () => this.write(change(await this.read())));
  }

  private async write(index: ImageIndex): Promise<void> {
    await atomicWriteFile(this.path, `${JSON.stringify(index, null, 2)}\n`);
  }

  private async readText(): Promise<string | undefined> {
    try {
      return await readFile(this.path, 'utf8');
    } catch (error: unknown) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }
}

const RESTORE_HINT = 'The file was edited or damaged. Restore the layout folder from a backup, or fix index.json by hand following the OCI image-layout spec.';

export function invalid(where: string, message: string, hint: string, cause?: unknown): ArtifactError {
  return new ArtifactError('ARTIFACT_LAYOUT_INVALID', message, { where, hint, cause });
}
