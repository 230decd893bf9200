import { EventSourceParserStream, type EventSourceMessage } from 'eventsource-parser/stream';

/** One server-sent event, its data parsed (Gantry sends JSON). */
export interface SseEvent {
  readonly event: string;
  readonly data: unknown;
}

/** Pauses before each reconnection, the last one repeated: the server a restart brings back answers within a second or two. */
export const RECONNECT_DELAYS_MS: readonly number[] = [500, 1_000, 2_000, 4_000, 8_000];
/** How long a follow keeps trying to reconnect before it gives up (GANTRY_RECONNECT_TIMEOUT changes it). */
export const DEFAULT_RECONNECT_BUDGET_MS = 30_000;

export interface FollowOptions {
  readonly signal?: AbortSignal | undefined;
  /** Time without a connection after which the last error is thrown. */
  readonly budgetMs: number;
  /** Whether an error of `open` during a reconnection is worth another try (the server is restarting). */
  readonly retryable: (error: unknown) => boolean;
  /** Called once each time the connection is lost, before the first new try. */
  readonly onDrop: () => void;
  /** Called when the connection is back after a drop. */
  readonly onResume?: () => void;
}

/** The events of an SSE body as eventsource-parser reads them, until the body ends or breaks. */
async function* parse(body: ReadableStream<Uint8Array>): AsyncGenerator<EventSourceMessage> {
  const reader = body.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream()).getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    // The consumer stopped early (or the body broke): let the connection go.
    await reader.cancel().catch(() => undefined);
  }
}

const pause = (ms: number, signal: AbortSignal | undefined): Promise<void> =>
  new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });

/**
 * Follows a stream that ends with an `end` event: when the connection drops before it (a server
 * restart, a broken network), opens it again with the id of the last event received (the route
 * resumes after it, so nothing is repeated or lost), pausing RECONNECT_DELAYS_MS between tries for
 * up to `budgetMs`. The first connection is not retried: a server that never answered is reported
 * at once.
 */
export async function* followSse(open: (lastEventId: string | undefined) => Promise<ReadableStream<Uint8Array>>, options: FollowOptions): AsyncGenerator<SseEvent> {
  let lastEventId: string | undefined;
  let droppedAt: number | undefined;
  let tries = 0;
  for (;;) {
    let body: ReadableStream<Uint8Array>;
    try {
      body = await open(lastEventId);
    } catch (error: unknown) {
      if (droppedAt === undefined || options.signal?.aborted || !options.retryable(error) || Date.now() - droppedAt >= options.budgetMs) throw error;
      await pause(Math.min(RECONNECT_DELAYS_MS[tries++] ?? RECONNECT_DELAYS_MS.at(-1) ?? 1_000, Math.max(0, droppedAt + options.budgetMs - Date.now())), options.signal);
      continue;
    }
    if (droppedAt !== undefined) options.onResume?.();
    droppedAt = undefined;
    tries = 0;
    try {
      for await (const message of parse(body)) {
        if (message.id !== undefined) lastEventId = message.id;
        const event = message.event ?? 'message';
        yield { event, data: JSON.parse(message.data) as unknown };
        if (event === 'end') return;
      }
    } catch (error: unknown) {
      // A body that breaks is a dropped connection; anything else (a JSON error) is not ours to hide.
      if (!(error instanceof TypeError) && !isAbort(error)) throw error;
    }
    if (options.signal?.aborted) return;
    droppedAt = Date.now();
    options.onDrop();
  }
}

const isAbort = (error: unknown): boolean => error instanceof Error && error.name === 'AbortError';
