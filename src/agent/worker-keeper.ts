import { fork, type ChildProcess } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { GantryError } from '../errors/index.js';
import type { ParentFacts, WorkerReport, WorkerStart } from './router-link/messages.js';
import type { RouterHost } from './router-link/router-host.js';

/**
 * Up to this many restarts a minute happen at once (one costs about a third of a CPU second); past
 * it the worker is crash-looping, and each restart waits a pause that doubles up to MAX_PAUSE_MS.
 */
const IMMEDIATE_RESTARTS = 20;
const WINDOW_MS = 60_000;
const FIRST_PAUSE_MS = 100;
const MAX_PAUSE_MS = 5_000;
/** How long a stopping worker may take to stop its revisions (each has its own grace) before SIGKILL. */
const STOP_WAIT_MS = 60_000;

/** dist/agent/worker/worker-main.js, whether this runs from dist/ or from src/ (tests). */
function workerEntry(): string {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
  return join(root, 'dist', 'agent', 'worker', 'worker-main.js');
}

export interface KeeperOptions {
  readonly start: Omit<WorkerStart, 'kind' | 'port' | 'parent'>;
  /** The control API port of the first worker (0: any); later workers take the one it got. */
  readonly port: number;
  readonly host: RouterHost;
  readonly logger: Logger;
  /** Each worker that started: where its control API answers. */
  readonly onReady: (url: string, workerPid: number) => Promise<void>;
}

const describeExit = (code: number | null, signal: NodeJS.Signals | null): string => (signal ? `was killed by ${signal}` : `exited with code ${code ?? 'unknown'}`);

/**
 * The agent parent's one duty besides the routers: keep a worker running. A worker that dies is
 * started again at once (after a pause that grows while it keeps dying young); the routes it
 * drove keep serving meanwhile, since they live in this process.
 */
export class WorkerKeeper {
  private readonly startedAt = Date.now();
  private restarts = 0;
  private lastExit: ParentFacts['lastWorkerExit'] = null;
  private port: number;
  private pause = 0;
  private readonly recentExits: number[] = [];
  private stopping = false;
  /** Until a worker once started, a failure is the caller's to report (a bad config), not one to retry. */
  private everReady = false;
  private current: ChildProcess | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly o: KeeperOptions) {
    this.port = o.port;
  }

  /** Starts the first worker; rejects with its error when it cannot start (a bad config, a taken port). */
  start(): Promise<string> {
    return this.spawn();
  }

  get workerPid(): number | undefined {
    return this.current?.pid;
  }

  private spawn(): Promise<string> {
    const child = fork(workerEntry(), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [] });
    this.current = child;
    this.o.host.attach(child);
    const parent: ParentFacts = { pid: process.pid, startedAt: this.startedAt, workerRestarts: this.restarts, lastWorkerExit: this.lastExit };
    const start: WorkerStart = { kind: 'start', ...this.o.start, port: this.port, parent };
    child.send(start, (error) => error && this.o.logger.warn({ err: error }, 'the start message did not reach the agent worker'));
    return new Promise((resolvePromise, reject) => {
      let settled = false;
      child.on('message', (message: WorkerReport) => {
        if (settled || (message.kind !== 'ready' && message.kind !== 'failed')) return;
        settled = true;
        if (message.kind === 'failed') return reject(new GantryError(message.error.code as never, message.error.message, message.error.hint ? { hint: message.error.hint } : {}));
        this.port = Number(new URL(message.url).port);
        this.everReady = true;
        this.o.logger.info({ url: message.url, workerPid: child.pid, restarts: this.restarts }, 'agent worker ready');
        void this.o.onReady(message.url, child.pid ?? 0).then(() => resolvePromise(message.url), reject);
      });
      child.once('exit', (code, signal) => {
        if (!settled) {
          settled = true;
          reject(new GantryError('AGENT_UNREACHABLE', `the agent worker ${describeExit(code, signal)} before it started`, { hint: 'See the agent log for why.' }));
        }
        this.exited(child, code, signal);
      });
    });
  }

  private exited(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.current === child) this.current = undefined;
    if (this.stopping || !this.everReady) return;
    const cause = `worker ${child.pid ?? '?'} ${describeExit(code, signal)}`;
    this.restarts += 1;
    this.lastExit = { at: Date.now(), cause };
    const now = Date.now();
    this.recentExits.push(now);
    while ((this.recentExits[0] ?? now) < now - WINDOW_MS) this.recentExits.shift();
    this.pause = this.recentExits.length <= IMMEDIATE_RESTARTS ? 0 : Math.min(MAX_PAUSE_MS, Math.max(FIRST_PAUSE_MS, this.pause * 2));
    this.o.logger.warn({ cause, restartInMs: this.pause, restarts: this.restarts }, 'agent worker exited; starting another (the routes keep serving)');
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.stopping) return;
      this.spawn().catch((error: unknown) => this.o.logger.error({ err: error }, 'the agent worker did not start; trying again'));
    }, this.pause);
  }

  /** Asks the worker to stop every revision and exit; SIGKILL when it takes longer than STOP_WAIT_MS. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    const child = this.current;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((resolvePromise) => child.once('exit', () => resolvePromise()));
    if (child.connected) child.send({ kind: 'stop' });
    else child.kill('SIGTERM');
    const timeout = setTimeout(() => child.kill('SIGKILL'), STOP_WAIT_MS);
    await gone;
    clearTimeout(timeout);
  }
}
