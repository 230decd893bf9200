import { InvalidArgumentError } from 'commander';
import { formatDuration } from '../config/duration.js';
import { TimeoutError } from '../errors/index.js';
import { ApiClient } from './client.js';
import { durationMs } from './commands/parse.js';

/** `--timeout <duration>` of the commands that follow a run: how long to watch, in milliseconds. */
export function timeoutMs(value: string): number {
  // The duration grammar of every other flag (commands/parse.ts), and more than nothing.
  const ms = durationMs(value);
  if (ms <= 0) throw new InvalidArgumentError('It must be a duration such as 30s, 10m, 2h.');
  return ms;
}

export const TIMEOUT_FLAG = ['--timeout <duration>', 'stop following after this long (30s, 10m): exit 5, the run goes on'] as const;

/** The same server and token, with every event stream it opens ended by `signal`. */
class BoundedClient extends ApiClient {
  constructor(
    client: ApiClient,
    private readonly signal: AbortSignal,
  ) {
    super(client.baseUrl, client.token);
  }

  override events(path: string, signal?: AbortSignal): ReturnType<ApiClient['events']> {
    return super.events(path, signal ? AbortSignal.any([signal, this.signal]) : this.signal);
  }
}

/**
 * Follows a run (`follow` gets the client to follow with) for at most `ms`: then the event stream is
 * closed and FOLLOW_TIMEOUT thrown (exit 5). The run itself is not touched: it goes on on the server.
 * Without `ms`, the follow runs to its end as before.
 */
export async function followWithin<T>(client: ApiClient, runId: number, ms: number | undefined, follow: (client: ApiClient) => Promise<T>): Promise<T> {
  if (ms === undefined) return follow(client);
  const stop = new AbortController();
  const following = follow(new BoundedClient(client, stop.signal));
  // A real timer: it bounds the wait for a real socket (the run's event stream), as kernel/clock.ts allows.
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      stop.abort();
      reject(
        new TimeoutError('FOLLOW_TIMEOUT', `run #${runId} still running after ${formatDuration(ms)}: the run goes on; follow it with \`gantry run show ${runId} -f\``, {
          hint: `Cancel it with \`gantry cancel ${runId}\` if it should not go on, or follow it with a longer --timeout.`,
          details: { runId },
        }),
      );
    }, ms);
  });
  // Once aborted, the follow ends with the stream's abort error: that is the timeout, already reported.
  following.catch(() => undefined);
  try {
    return await Promise.race([following, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
