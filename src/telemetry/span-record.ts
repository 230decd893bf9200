/**
 * A finished span as Gantry describes it, free of any SDK type: what the tracer builds from the
 * store, and what a sink (the OTLP one, or a test's) sends. Times are epoch milliseconds.
 */
export interface SpanRecord {
  readonly name: string;
  /** `server` for a run (a pipeline run, as the CI/CD conventions say), `internal` for a step. */
  readonly kind: 'server' | 'internal';
  readonly traceId: string;
  readonly spanId: string;
  /** Absent on a run's root span. */
  readonly parentSpanId?: string;
  readonly startMs: number;
  readonly endMs: number;
  readonly attributes: Readonly<Record<string, string | number | boolean>>;
  /** Set when the run or step failed: the span's status is ERROR with this message. */
  readonly error?: { readonly code: string; readonly message: string };
}

/** Where finished spans go. */
export interface SpanSink {
  send(span: SpanRecord): void;
  /** Sends what is queued and stops; called once, when the server stops. */
  shutdown(): Promise<void>;
}
