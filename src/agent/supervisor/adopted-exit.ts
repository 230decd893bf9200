import { sameProcessAlive } from './proc-scan.js';

/** How often an adopted process (no child of ours: no exit event) is checked for life. */
export const ADOPTED_POLL_MS = 250;

/**
 * The exit of a process an earlier agent started: it is not our child, so nothing tells us when it
 * ends. Polls /proc for the same pid with the same start time (a reused pid is not it, a zombie is
 * dead); `check()` looks at once (its output FIFOs reaching EOF are such a hint). Its exit code
 * stays unknown: only its parent could have reaped it.
 */
export class AdoptedExit {
  readonly exited: Promise<void>;
  private resolve: () => void = () => undefined;
  private timer: NodeJS.Timeout | undefined;
  private done = false;
  private checking = false;

  constructor(
    private readonly pid: number,
    private readonly startTime: number,
    private readonly everyMs = ADOPTED_POLL_MS,
  ) {
    this.exited = new Promise<void>((resolve) => {
      this.resolve = resolve;
    });
    this.schedule();
  }

  check(): void {
    if (this.done || this.checking) return;
    this.checking = true;
    void sameProcessAlive(this.pid, this.startTime)
      .then(
        (alive) => {
          if (!alive) this.finish();
        },
        () => undefined,
      )
      .finally(() => {
        this.checking = false;
        this.schedule();
      });
  }

  /** Stops watching (the exit is no longer of interest); `exited` then never resolves. */
  cancel(): void {
    this.done = true;
    clearTimeout(this.timer);
  }

  private schedule(): void {
    if (this.done) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.check(), this.everyMs);
    // The process runs on without us; watching it alone is no reason to keep the agent alive.
    this.timer.unref();
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.timer);
    this.resolve();
  }
}
