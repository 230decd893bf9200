import autocannon from 'autocannon';

/** What the chaos check's traffic saw: every request in exactly one place, failures by cause. */
export interface ChaosFigures {
  readonly requests: number;
  /** Requests that got no 2xx answer: a status (by code), a connection error (a reset), a timeout. */
  readonly failed: number;
  readonly errorRate: number;
  readonly byCause: {
    /** Status code → answers, for every answer that was not 2xx (the injected aborts among them). */
    readonly status: Readonly<Record<string, number>>;
    /** Connections that failed mid-request (reset, refused), not counting timeouts. */
    readonly connection: number;
    readonly timeouts: number;
  };
  /** Latency of the 2xx answers (autocannon records no other). */
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly rps: number;
}

export interface ChaosLoad {
  readonly url: string;
  readonly durationMs: number;
  readonly connections: number;
  readonly rate: number | undefined;
}

/**
 * The load check's generator (autocannon) for the length of the faults. A failed request is counted
 * as the load check counts it: a connection error, a timeout (autocannon counts it as an error too),
 * or a status outside 2xx.
 */
export async function driveChaosLoad(load: ChaosLoad, signal: AbortSignal): Promise<ChaosFigures> {
  let stop = (): void => undefined;
  const finished = new Promise<autocannon.Result>((resolve, reject) => {
    const options = { url: load.url, connections: load.connections, duration: Math.max(1, Math.round(load.durationMs / 1000)), ...(load.rate ? { overallRate: load.rate } : {}) };
    const instance = autocannon(options, (error: Error | null, result: autocannon.Result) => (error ? reject(error) : resolve(result)));
    stop = () => instance.stop();
  });
  // Aborted (the step cancelled): autocannon stops and answers with what it saw so far.
  const onAbort = (): void => stop();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    const run = await finished;
    const status: Record<string, number> = {};
    for (const [code, stats] of Object.entries(run.statusCodeStats ?? {})) if (!code.startsWith('2')) status[code] = (stats as { count: number }).count;
    // requests.total counts answers only; a reset or timed-out request is one more that was sent.
    const requests = run.requests.total + run.errors;
    const failed = run.errors + run.non2xx;
    return {
      requests,
      failed,
      errorRate: requests === 0 ? 1 : failed / requests,
      byCause: { status, connection: run.errors - run.timeouts, timeouts: run.timeouts },
      p50Ms: run.latency.p50,
      p99Ms: run.latency.p99,
      rps: run.requests.average,
    };
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
