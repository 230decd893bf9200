export { startTracing, type Tracing, type TracingOptions } from './tracing.js';
export { traceEnvironment } from './step-environment.js';
export { runTraceId, runSpanId, stepSpanId, stepTraceparent } from './trace-ids.js';
export { tracingConfig, DEFAULT_SERVICE_NAME, type TracingConfig } from './tracing-config.js';
