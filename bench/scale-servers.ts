/**
 * Starts and stops bench/scale.ts's "servers": each a separate Node process (bench/scale-worker.ts
 * through tsx) with its own event loop, pool and executor, as separate `gantry server`s would be.
 * Every process started is remembered until it has exited, so `stopAll` in a finally (or on a
 * signal) leaves none behind whatever failed.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const WORKER = fileURLToPath(new URL('./scale-worker.ts', import.meta.url));
const READY_MS = 60_000;
const STOP_MS = 10_000;
/** More Node flags for the servers, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to see where their CPU goes. */
const EXTRA_ARGS = (process.env.BENCH_SCALE_NODE_ARGS ?? '').split(' ').filter(Boolean);

const alive = new Set<ChildProcess>();

interface Stats {
  readonly executed: number;
  readonly ticks: number;
  readonly lostClaims: number;
  readonly rssMb: number;
}

export class BenchServer {
  private constructor(private readonly child: ChildProcess) {}

  get pid(): number {
    return this.child.pid ?? Number.NaN;
  }

  static async start(database: string, index: number): Promise<BenchServer> {
    const child = fork(WORKER, [database, String(index)], { execArgv: ['--import', 'tsx', ...EXTRA_ARGS], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    alive.add(child);
    child.once('exit', () => alive.delete(child));
    await reply(child, 'ready', READY_MS, `server ${index} to start`);
    return new BenchServer(child);
  }

  /** Runs were created: look now rather than at the next poll, as a server's own engine would. */
  wake(): void {
    this.child.send('wake');
  }

  async stats(): Promise<Stats> {
    const answer = reply<Stats>(this.child, 'stats', 10_000, 'a server to report');
    this.child.send('stats');
    return answer;
  }

  async stop(): Promise<void> {
    await stopChild(this.child);
  }
}

function reply<T>(child: ChildProcess, type: string, timeoutMs: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
    const onMessage = (m: unknown): void => {
      if (typeof m === 'object' && m !== null && (m as { type?: unknown }).type === type) done(undefined, m as T);
    };
    const onExit = (code: number | null): void => done(new Error(`a server exited (code ${code}) while waiting for ${what}`));
    const done = (error: Error | undefined, value?: T): void => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve(value as T);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  if (child.connected) child.send('stop');
  else child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), STOP_MS);
  await exited;
  clearTimeout(killer);
}

/** Stops every server still running (the bench's finally and signal handlers). */
export async function stopAll(): Promise<void> {
  await Promise.all([...alive].map(stopChild));
}
