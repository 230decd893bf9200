import type Docker from 'dockerode';

/** One JSON message of the engine's build or push stream (the fields Gantry reads). */
export interface EngineEvent {
  readonly stream?: string;
  readonly status?: string;
  readonly progress?: string;
  readonly id?: string;
  readonly error?: string;
  readonly errorDetail?: { readonly message?: string };
  readonly aux?: { readonly ID?: string; readonly Tag?: string; readonly Digest?: string; readonly Size?: number };
}

/** What a finished stream said: its lines in order (for the tail of an error), its aux records, and its error. */
export interface StreamOutcome {
  readonly lines: readonly string[];
  readonly aux: ReadonlyArray<NonNullable<EngineEvent['aux']>>;
  readonly error: string | undefined;
}

const KEEP_LINES = 200;

/**
 * Reads a build or push stream to its end, handing each output line to `onLine` as it comes
 * (the build step shows them live). Download and upload progress bars are left out: they are
 * repainted many times a second and say nothing a log reader needs.
 */
export async function followEngineStream(docker: Docker, stream: NodeJS.ReadableStream, onLine: (line: string) => void = () => undefined): Promise<StreamOutcome> {
  const lines: string[] = [];
  const aux: Array<NonNullable<EngineEvent['aux']>> = [];
  let error: string | undefined;
  const emit = (text: string): void => {
    for (const line of text.split('\n')) {
      const trimmed = line.replace(/\r/g, '').trimEnd();
      if (trimmed === '') continue;
      lines.push(trimmed);
      if (lines.length > KEEP_LINES) lines.shift();
      onLine(trimmed);
    }
  };
  const onEvent = (event: EngineEvent): void => {
    if (event.aux !== undefined) aux.push(event.aux);
    if (typeof event.stream === 'string') emit(event.stream);
    else if (typeof event.status === 'string' && event.progress === undefined) emit(event.id === undefined ? event.status : `${event.id}: ${event.status}`);
    if (typeof event.error === 'string') {
      error = event.errorDetail?.message ?? event.error;
      emit(error);
    }
  };
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(stream, (failure: Error | null) => (failure ? reject(failure) : resolve()), onEvent);
  });
  return { lines, aux, error };
}

/** The last `count` lines before the error (which a message names on its own), for an error message. */
export const lastLines = (outcome: StreamOutcome, count = 15): string => outcome.lines.filter((line) => line !== outcome.error).slice(-count).join('\n');
