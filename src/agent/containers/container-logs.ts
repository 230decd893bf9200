import type Docker from 'dockerode';

/**
 * The engine's log stream of a container without a TTY is multiplexed: frames of an 8-byte header
 * (stream type, 3 zero bytes, a big-endian length) and that many bytes of stdout or stderr.
 */
export function demux(buffer: Buffer): string {
  const parts: Buffer[] = [];
  let at = 0;
  while (at + 8 <= buffer.length) {
    const size = buffer.readUInt32BE(at + 4);
    parts.push(buffer.subarray(at + 8, Math.min(buffer.length, at + 8 + size)));
    at += 8 + size;
  }
  return Buffer.concat(parts).toString('utf8');
}

/** The last `lines` lines of a container's stdout and stderr, from the engine's logs API; none when the container is gone. */
export async function containerLogTail(docker: Docker, name: string, lines: number): Promise<string[]> {
  if (lines <= 0) return [];
  const raw = await docker
    .getContainer(name)
    .logs({ stdout: true, stderr: true, follow: false, tail: lines })
    .catch(() => Buffer.alloc(0));
  const text = demux(Buffer.isBuffer(raw) ? raw : Buffer.from(String(raw)));
  const all = text.split('\n').map((line) => line.replace(/\r$/, ''));
  if (all.at(-1) === '') all.pop();
  return all.slice(-lines);
}
