import autocannon from 'autocannon';

/** What a bounded load run saw (the load check's, the chaos check's): every request in exactly one place, failures by cause. */
export interface LoadFigures {
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
  readonly p97_5Ms: number;
  readonly p99Ms: number;
  readonly rps: number;
}

export interface LoadRun {
  readonly url: string;
  readonly durationMs: number;
  readonly connections: number;
  readonly rate: number | undefined;
}

/**
 * One bounded load run with autocannon, for the load check and for the length of a chaos check's
 * faults. A failed request is a connection error, a timeout (autocannon counts it among its errors
 * already, so it is not added again) or a status outside 2xx, and it counts among the requests sent.
 */
export async function driveLoad(load: LoadRun, signal: AbortSignal): Promise<LoadFigures> {
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
      p97_5Ms: run.latency.p97_5,
      p99Ms: run.latency.p99,
      rps: run.requests.average,
    };
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
