/**
 * The load generator of bench/agent-restart.ts, run in its own process (forked from this file) so the
 * bench's own work (signals, health polls) never delays a measured request. `connections` loops, each
 * on its own keep-alive connection (undici Pool, pipelining 1), send one GET after another with no
 * pause, and every request is recorded: when it was sent, when it ended, and its status or error.
 *
 * Not autocannon: when a server closes a keep-alive connection with a request in flight, autocannon
 * reconnects and the lost request is counted nowhere (tried: a server dropping every 50th request
 * gave autocannon 0 errors; undici reports each as UND_ERR_SOCKET). A restart bench must see those.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';

/** Wall-clock milliseconds with sub-millisecond precision, comparable across processes. */
export const nowMs = (): number => performance.timeOrigin + performance.now();

/** One request: sent and ended at (epoch ms), and its HTTP status, or the error's code. */
export interface RequestRecord {
  readonly sentAt: number;
  readonly endedAt: number;
  readonly status: number;
  readonly error: string | undefined;
}

interface Recorded {
  readonly times: number[];
  readonly codes: string[];
}

/** The child: loads `url` until told to stop, then writes what it recorded to `file` (JSON). */
async function loadRole(url: string, connections: number, file: string): Promise<void> {
  const pool = new Pool(url, { connections, pipelining: 1, headersTimeout: 10_000, bodyTimeout: 10_000 });
  // Flat triples (sent, ended, status or -(error index + 1)): hundreds of thousands of objects would cost the GC.
  const times: number[] = [];
  const codes: string[] = [];
  let running = true;
  const codeIndex = (code: string): number => {
    const at = codes.indexOf(code);
    return at >= 0 ? at : codes.push(code) - 1;
  };
  const loop = async (): Promise<void> => {
    while (running) {
      const sentAt = nowMs();
      try {
        const res = await pool.request({ path: '/', method: 'GET' });
        await res.body.arrayBuffer();
        times.push(sentAt, nowMs(), res.statusCode);
      } catch (error: unknown) {
        const code = (error as { code?: string }).code ?? (error as { cause?: { code?: string } }).cause?.code ?? 'ERROR';
        times.push(sentAt, nowMs(), -(codeIndex(code) + 1));
      }
    }
  };
  process.once('message', () => (running = false));
  const loops = Array.from({ length: connections }, loop);
  process.send?.({ loading: true });
  await Promise.all(loops);
  await pool.destroy();
  await writeFile(file, JSON.stringify({ times, codes } satisfies Recorded));
  process.send?.({ written: true });
}

export interface RunningLoad {
  readonly pid: number;
  /** Stops the loops and returns every request recorded, in order of sending per connection. */
  stop(): Promise<RequestRecord[]>;
  kill(): void;
}

/** Forks the load generator on `url` and resolves once its loops run. */
export async function startLoad(url: string, connections: number, file: string): Promise<RunningLoad> {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), ['load', url, String(connections), file], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const next = (key: string): Promise<void> =>
    new Promise((resolve, reject) => {
      const onMessage = (m: Record<string, unknown>): void => {
        if (!(key in m)) return;
        child.off('exit', onExit);
        child.off('message', onMessage);
        resolve();
      };
      const onExit = (code: number | null): void => reject(new Error(`the load generator exited (${code}) before "${key}"`));
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
  await next('loading');
  return {
    pid: child.pid ?? 0,
    async stop() {
      const written = next('written');
      child.send({ stop: true });
      await written;
      const { times, codes } = JSON.parse(await readFile(file, 'utf8')) as Recorded;
      const records: RequestRecord[] = [];
      for (let i = 0; i + 2 < times.length; i += 3) {
        const status = times[i + 2]!;
        records.push({ sentAt: times[i]!, endedAt: times[i + 1]!, status: Math.max(0, status), error: status < 0 ? codes[-status - 1] : undefined });
      }
      return records;
    },
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === 'load') {
  const [url, connections, file] = process.argv.slice(3);
  await loadRole(url ?? '', Number(connections), file ?? '');
  process.disconnect();
}
