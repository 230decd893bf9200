import type { Redactor } from '../secrets/redactor.js';
import type { LogLine, NewLogLine } from '../store/repositories/log-repository.js';
import type { Store } from '../store/store.js';
import type { Clock } from '../kernel/clock.js';
import type { EngineBus } from './events.js';

type Stream = LogLine['stream'];

const FLUSH_INTERVAL_MS = 100;
const FLUSH_LINES = 200;

/**
 * A step attempt's log. Output is redacted as it arrives (across chunk boundaries), cut into lines,
 * and written to the store in small batches; each batch tells live followers to read on.
 */
export class StepLog {
  private readonly pending: NewLogLine[] = [];
  private readonly partial = new Map<Stream, string>();
  private readonly redacting = new Map<Stream, ReturnType<Redactor['stream']>>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: Store,
    private readonly bus: EngineBus,
    private readonly clock: Clock,
    private readonly redactor: Redactor,
    private readonly runId: number,
    private readonly stepId: number,
    private readonly attempt: number,
    private readonly onError: (error: unknown) => void = () => undefined,
  ) {}

  /** Raw process output; may end mid-line or mid-secret. */
  write(stream: 'stdout' | 'stderr', chunk: string): void {
    let r = this.redacting.get(stream);
    if (!r) {
      r = this.redactor.stream();
      this.redacting.set(stream, r);
    }
    this.take(stream, r.push(chunk));
  }

  /** A line from Gantry itself about the step. */
  info(text: string): void {
    for (const line of this.redactor.redact(text).split('\n')) this.add('system', line);
  }

  private take(stream: Stream, text: string): void {
    const joined = (this.partial.get(stream) ?? '') + text;
    const lines = joined.split('\n');
    this.partial.set(stream, lines.pop() ?? '');
    for (const line of lines) this.add(stream, line.replace(/\r$/, ''));
  }

  private add(stream: Stream, text: string): void {
    this.pending.push({ stepId: this.stepId, attempt: this.attempt, stream, text, at: this.clock.now() });
    if (this.pending.length >= FLUSH_LINES) void this.flush();
    // A real timer, not this.clock: it paces writes to the store and the live stream, not a schedule of the run.
    else this.timer ??= setTimeout(() => void this.flush(), FLUSH_INTERVAL_MS);
  }

  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending.splice(0);
    if (batch.length === 0) return this.flushing;
    this.flushing = this.flushing
      .then(async () => {
        await this.store.logs.append(this.runId, batch);
        this.bus.emit({ type: 'log', runId: this.runId, stepId: this.stepId });
      })
      // A store failure must not crash the server from a timer; the step's outcome is still recorded.
      .catch((error: unknown) => this.onError(error));
    return this.flushing;
  }

  /** Ends the streams (releasing any held-back tail) and writes everything out. */
  async close(): Promise<void> {
    for (const [stream, r] of this.redacting) this.take(stream, r.end());
    for (const [stream, rest] of this.partial) if (rest !== '') this.add(stream, rest);
    this.partial.clear();
    this.redacting.clear();
    await this.flush();
  }
}
