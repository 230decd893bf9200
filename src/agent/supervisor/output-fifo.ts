import { execFile } from 'node:child_process';
import { closeSync, constants, openSync, statSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { Socket } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const STREAMS = ['out', 'err'] as const;

/**
 * A process's stdout and stderr as named FIFOs (`<dir>/<name>.out`, `.err`, mode 0600) instead of
 * pipes the agent holds: the child gets each opened read-write, so a reader always exists and it
 * never meets EPIPE or SIGPIPE when the agent dies (its writes block only once 64 KB wait unread),
 * and the next agent opens the same FIFOs and reads on, what waited in them included.
 */
export class OutputFifos {
  constructor(
    private readonly dir: string,
    private readonly name: string,
  ) {}

  private path(stream: (typeof STREAMS)[number]): string {
    return join(this.dir, `${this.name}.${stream}`);
  }

  /**
   * Fresh FIFOs for a new spawn (a descendant of the last run may still hold the old ones), their
   * read sides open in the agent, and the fds to give the child as stdout and stderr. The caller
   * closes `childFds` once spawned: the child's copies are then the only writers, so the readers end
   * when the process and all it started are gone.
   */
  async forSpawn(): Promise<{ readonly childFds: readonly [number, number]; readonly readers: Socket[] }> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const opened: number[] = [];
    try {
      const fds = await Promise.all(
        STREAMS.map(async (stream) => {
          const path = this.path(stream);
          await rm(path, { force: true });
          await run('mkfifo', ['-m', '600', path]);
          // The read side first: O_NONBLOCK lets it open with no writer yet; O_RDWR never waits for a reader.
          const read = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
          opened.push(read);
          const write = openSync(path, constants.O_RDWR | constants.O_NOCTTY);
          opened.push(write);
          return { read, write };
        }),
      );
      const [out, err] = fds as [{ read: number; write: number }, { read: number; write: number }];
      return { childFds: [out.write, err.write], readers: [reader(out.read), reader(err.read)] };
    } catch (error: unknown) {
      for (const fd of opened) closeQuietly(fd);
      throw error;
    }
  }

  /** The read sides of the FIFOs a live process (started by an earlier agent) still writes to; a FIFO that is missing is left out. */
  forAdoption(): Socket[] {
    const readers: Socket[] = [];
    for (const stream of STREAMS) {
      const path = this.path(stream);
      try {
        if (!statSync(path).isFIFO()) continue;
        readers.push(reader(openSync(path, constants.O_RDONLY | constants.O_NONBLOCK)));
      } catch {
        // Gone (a cleaned temp folder): that stream is not captured for this run.
      }
    }
    return readers;
  }

  /** Once the process is stopped for good: nothing will write to them again. */
  async remove(): Promise<void> {
    await Promise.all(STREAMS.map((stream) => rm(this.path(stream), { force: true }).catch(() => undefined)));
  }

  static closeChildFds(fds: readonly number[]): void {
    for (const fd of fds) closeQuietly(fd);
  }
}

function reader(fd: number): Socket {
  return new Socket({ fd, readable: true, writable: false });
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Already closed: nothing to release.
  }
}
