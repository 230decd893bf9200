import type { Api } from './client';

export interface SseEvent {
  readonly event: string;
  readonly data: unknown;
}

/**
 * Reads a server-sent-events response as it arrives. A block is `event:` and `data:` lines ended by
 * an empty line; comment lines (`: keepalive`) are skipped. Resolves when the server ends the stream.
 */
export async function readEvents(response: Response, onEvent: (e: SseEvent) => void): Promise<void> {
  if (!response.body) return;
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
      }
      if (data.length > 0) onEvent({ event, data: JSON.parse(data.join('\n')) as unknown });
    }
  }
}

/**
 * Follows a stream until `signal` aborts: reconnects after a drop (a server restart) with a growing
 * pause, and calls `onOpen` on every connection so the caller can refetch what it missed.
 */
export async function follow(api: Api, path: string, signal: AbortSignal, onEvent: (e: SseEvent) => void, onOpen: () => void = () => undefined): Promise<void> {
  let pauseMs = 500;
  while (!signal.aborted) {
    try {
      const response = await api.stream(path, signal);
      pauseMs = 500;
      onOpen();
      await readEvents(response, onEvent);
    } catch {
      if (signal.aborted) return;
    }
    await new Promise((resolve) => setTimeout(resolve, pauseMs));
    pauseMs = Math.min(pauseMs * 2, 10_000);
  }
}
