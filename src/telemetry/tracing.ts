import type { EngineBus } from '../engine/events.js';
import type { Logger } from '../kernel/logger.js';
import type { Store } from '../store/store.js';
import { RunTracer } from './run-tracer.js';
import { tracingConfig } from './tracing-config.js';

export interface TracingOptions {
  readonly store: Store;
  readonly bus: EngineBus;
  readonly logger: Logger;
  /** gantry.yaml's project name: the pipeline's name in the spans. */
  readonly pipeline: string;
  readonly runUrl: (runId: number) => string;
  readonly version: string;
  /** Default: process.env. */
  readonly env?: NodeJS.ProcessEnv;
}

export interface Tracing {
  /** Sends the spans still queued; the server calls it on stop, before it closes the store. */
  stop(): Promise<void>;
}

/**
 * Starts sending traces of runs and steps when the OpenTelemetry variables ask for it; otherwise
 * returns undefined having loaded nothing: the SDK is imported here, on demand, and only then.
 */
export async function startTracing(o: TracingOptions): Promise<Tracing | undefined> {
  const config = tracingConfig(o.env);
  if (!config) return undefined;
  const { otlpSink } = await import('./otlp-sink.js');
  const tracer = new RunTracer({ store: o.store, bus: o.bus, logger: o.logger, pipeline: o.pipeline, runUrl: o.runUrl, sink: otlpSink(config, o.version, o.logger) });
  tracer.start();
  o.logger.info({ endpoint: config.endpoint, serviceName: config.serviceName }, `traces of runs and steps go to ${config.endpoint} (OTLP/HTTP)`);
  return { stop: () => tracer.stop() };
}
