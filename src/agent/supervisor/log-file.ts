import { mkdir, open, rename, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Writable } from 'node:stream';

export const DEFAULT_LOG_MAX_BYTES = 5 * 1024 * 1024;

/**
 * A process's output file, appended to and rotated to `<path>.1` once it would pass `maxBytes`,
 * so a chatty service cannot fill the disk. A Writable so that child pipes get backpressure.
 * It never emits 'error': a full disk must not take the service down, so failures go to `onError`
 * and the output is dropped.
 */
export class LogFile extends Writable {
  private handle: FileHandle | null = null;
  private size = 0;
  private failed = false;

  constructor(
    readonly path: string,
    private readonly onError: (error: unknown) => void,
    private readonly maxBytes = DEFAULT_LOG_MAX_BYTES,
  ) {
    super();
  }

  /** A line of the supervisor's own (start, exit, stop), so the log tells the whole story. */
  note(text: string): void {
    if (!this.writableEnded) this.write(`[gantry ${new Date().toISOString()}] ${text}\n`);
  }

  /** Flushes what was written and closes the file. */
  close(): Promise<void> {
    if (this.writableFinished || this.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      this.once('close', () => resolve());
      if (!this.writableEnded) this.end();
    });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.append(chunk).then(
      () => callback(),
      (error: unknown) => {
        this.report(error);
        callback();
      },
    );
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const handle = this.handle;
    this.handle = null;
    if (handle === null) callback(error);
    else handle.close().then(() => callback(error), () => callback(error));
  }

  private async append(chunk: Buffer): Promise<void> {
    const handle = await this.ensureOpen();
    if (this.size > 0 && this.size + chunk.length > this.maxBytes) {
      await this.rotate(handle);
      await (await this.ensureOpen()).appendFile(chunk);
    } else {
      await handle.appendFile(chunk);
    }
    this.size += chunk.length;
  }

  private async ensureOpen(): Promise<FileHandle> {
    if (this.handle !== null) return this.handle;
    await mkdir(dirname(this.path), { recursive: true });
    const handle = await open(this.path, 'a');
    this.size = (await handle.stat()).size;
    this.handle = handle;
    return handle;
  }

  private async rotate(handle: FileHandle): Promise<void> {
    this.handle = null;
    await handle.close();
    await rename(this.path, `${this.path}.1`);
    this.size = 0;
  }

  private report(error: unknown): void {
    // Once: a broken disk would otherwise log on every chunk of output.
    if (this.failed) return;
    this.failed = true;
    try {
      this.onError(error);
    } catch {
      // The reporter is the last resort; nothing left to tell.
    }
  }
}
