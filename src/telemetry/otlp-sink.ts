import { randomBytes } from 'node:crypto';
import { diag, DiagLogLevel, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, TraceFlags, type Context, type DiagLogger } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { defaultResource, detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { AlwaysOnSampler, BasicTracerProvider, BatchSpanProcessor, type IdGenerator } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import type { Logger } from '../kernel/logger.js';
import type { SpanRecord, SpanSink } from './span-record.js';
import type { TracingConfig } from './tracing-config.js';

/**
 * The one file that loads the OpenTelemetry SDK (tracing.ts imports it only when tracing is
 * configured). Spans go over OTLP/HTTP with JSON bodies to the endpoint of the standard variables,
 * which the exporter reads itself (OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT, _HEADERS, _TIMEOUT,
 * _COMPRESSION, certificates), in batches (OTEL_BSP_SCHEDULE_DELAY and the other OTEL_BSP_*).
 */
export function otlpSink(config: TracingConfig, version: string, logger: Logger): SpanSink {
  // The SDK reports failed exports on its diagnostic channel, silent unless a logger is set there.
  diag.setLogger(diagLogger(logger), { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
  const ids = new PresetIds();
  const resource = defaultResource()
    .merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: config.serviceName, [ATTR_SERVICE_VERSION]: version }))
    // OTEL_RESOURCE_ATTRIBUTES (and OTEL_SERVICE_NAME once more, as the variables outrank defaults).
    .merge(detectResources({ detectors: [envDetector] }));
  const provider = new BasicTracerProvider({
    resource,
    idGenerator: ids,
    // Every run is traced: a run's spans are few, and one sampled apart from its steps would break the tree.
    sampler: new AlwaysOnSampler(),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
  });
  const tracer = provider.getTracer('gantry', version);
  return {
    send(record: SpanRecord): void {
      // The ids were fixed by the run (trace-ids.ts); the SDK draws them from its IdGenerator, so
      // they are handed to it for this one synchronous start.
      ids.next = { traceId: record.traceId, spanId: record.spanId };
      let span;
      try {
        span = tracer.startSpan(record.name, { kind: record.kind === 'server' ? SpanKind.SERVER : SpanKind.INTERNAL, startTime: new Date(record.startMs), attributes: record.attributes }, parentContext(record));
      } finally {
        ids.next = undefined;
      }
      if (record.error) span.setStatus({ code: SpanStatusCode.ERROR, message: `${record.error.code}: ${record.error.message}` });
      // Dates, not numbers: the SDK reads a small number as a time since the process started.
      span.end(new Date(record.endMs));
    },
    async shutdown(): Promise<void> {
      await provider.shutdown();
    },
  };
}

function parentContext(record: SpanRecord): Context {
  if (!record.parentSpanId) return ROOT_CONTEXT;
  return trace.setSpanContext(ROOT_CONTEXT, { traceId: record.traceId, spanId: record.parentSpanId, traceFlags: TraceFlags.SAMPLED, isRemote: false });
}

/** Gives the SDK the ids of the span being started; random ones, as the SDK's own, if ever asked otherwise. */
class PresetIds implements IdGenerator {
  next: { readonly traceId: string; readonly spanId: string } | undefined;

  generateTraceId(): string {
    return this.next?.traceId ?? randomHex(16);
  }

  generateSpanId(): string {
    return this.next?.spanId ?? randomHex(8);
  }
}

const randomHex = (bytes: number): string => randomBytes(bytes).toString('hex');

function diagLogger(logger: Logger): DiagLogger {
  const log = (level: 'error' | 'warn' | 'info' | 'debug') => (message: string, ...args: unknown[]) => logger[level](args.length > 0 ? { otel: args } : {}, `opentelemetry: ${message}`);
  return { error: log('error'), warn: log('warn'), info: log('info'), debug: log('debug'), verbose: log('debug') };
}
