import type { Logger } from 'pino';

/** What GET /v1/health shows of the state file: whether the last write went through, and since when not. */
export interface StateWriteStatus {
  readonly ok: boolean;
  /** The last failure's message (EMFILE, ENOSPC …) while failing; null once a write succeeds. */
  readonly lastError: string | null;
  /** Epoch ms of the first failure of the current run of failures; null when ok. */
  readonly failingSince: number | null;
}

export interface StateWriterOptions {
  readonly firstDelayMs?: number;
  readonly maxDelayMs?: number;
}

const DEFAULT_FIRST_DELAY_MS = 50;
const DEFAULT_MAX_DELAY_MS = 5_000;

/**
 * Writes the agent's state whenever asked, one write at a time, and never gives up: a failed write
 * (too many open files, a full disk) is logged at error level, shown in the health answer, and
 * tried again with backoff until it succeeds. A restart after a failed write would otherwise
 * restore stale routing without anyone having been told. Asks made during a write are coalesced:
 * the next write reads the state then current, which covers them all.
 */
export class StateWriter {
  private requested = 0;
  private written = 0;
  private running = false;
  private readonly waiters: Array<{ generation: number; resolve: () => void }> = [];
  private failure: { message: string; since: number; attempts: number } | undefined;

  constructor(
    private readonly write: () => Promise<void>,
    private readonly logger: Logger,
    private readonly options: StateWriterOptions = {},
  ) {}

  /** Resolves once a write that started after this call has succeeded (however many retries it took). */
  save(): Promise<void> {
    const generation = ++this.requested;
    const done = new Promise<void>((resolve) => this.waiters.push({ generation, resolve }));
    if (!this.running) void this.run();
    return done;
  }

  status(): StateWriteStatus {
    return this.failure === undefined ? { ok: true, lastError: null, failingSince: null } : { ok: false, lastError: this.failure.message, failingSince: this.failure.since };
  }

  private async run(): Promise<void> {
    this.running = true;
    let delay = this.options.firstDelayMs ?? DEFAULT_FIRST_DELAY_MS;
    while (this.written < this.requested) {
      const generation = this.requested;
      try {
        await this.write();
      } catch (error: unknown) {
        const message = error instanceof Error ? error.message : String(error);
        this.failure = { message, since: this.failure?.since ?? Date.now(), attempts: (this.failure?.attempts ?? 0) + 1 };
        this.logger.error({ err: error, attempts: this.failure.attempts, retryInMs: delay }, 'writing the agent state failed; retrying (a restart now would restore older state)');
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(delay * 2, this.options.maxDelayMs ?? DEFAULT_MAX_DELAY_MS);
        continue;
      }
      if (this.failure !== undefined) {
        this.logger.warn({ attempts: this.failure.attempts, failedForMs: Date.now() - this.failure.since }, 'writing the agent state works again');
        this.failure = undefined;
      }
      this.written = generation;
      delay = this.options.firstDelayMs ?? DEFAULT_FIRST_DELAY_MS;
      for (let i = this.waiters.length - 1; i >= 0; i--) {
        const waiter = this.waiters[i];
        if (waiter !== undefined && waiter.generation <= generation) {
          this.waiters.splice(i, 1);
          waiter.resolve();
        }
      }
    }
    this.running = false;
  }
}
