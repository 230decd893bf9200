import { EventSourceParserStream } from 'eventsource-parser/stream';
import { ApiError, type Api } from './client';

export interface SseEvent {
  readonly event: string;
  readonly data: unknown;
}

/**
 * Reads a server-sent-events response as it arrives (eventsource-parser, as the CLI does), until the
 * server ends the stream. `onId` gets each event's id: where the stream stands, to resume after it.
 */
export async function readEvents(response: Response, onEvent: (e: SseEvent) => void, onId: (id: string) => void = () => undefined): Promise<void> {
  if (!response.body) return;
  const reader = response.body.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream()).getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    if (value.id !== undefined) onId(value.id);
    onEvent({ event: value.event ?? 'message', data: JSON.parse(value.data) as unknown });
  }
}

/**
 * Follows a stream until `signal` aborts or the server sends `end`: reconnects after a drop (a
 * server restart) with a growing pause, sending the last event id back (Last-Event-ID) so the
 * server goes on where the stream stopped, and calls `onOpen` on every connection. A refusal (4xx)
 * is thrown: trying again would not change it.
 */
export async function follow(api: Api, path: string, signal: AbortSignal, onEvent: (e: SseEvent) => void, onOpen: () => void = () => undefined): Promise<void> {
  let pauseMs = 500;
  let lastEventId: string | undefined;
  let ended = false;
  while (!signal.aborted && !ended) {
    try {
      const response = await api.stream(path, signal, lastEventId);
      pauseMs = 500;
      onOpen();
      await readEvents(
        response,
        (e) => {
          if (e.event === 'end') ended = true;
          onEvent(e);
        },
        (id) => (lastEventId = id),
      );
    } catch (error: unknown) {
      if (signal.aborted) return;
      // Refused (signed out, no such run): another try would be refused the same way.
      if (error instanceof ApiError && error.status < 500) throw error;
    }
    if (ended) return;
    await new Promise((resolve) => setTimeout(resolve, pauseMs));
    pauseMs = Math.min(pauseMs * 2, 10_000);
  }
}
