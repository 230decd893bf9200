import { stepTraceparent, type TracedRun } from './trace-ids.js';
import { tracingConfig } from './tracing-config.js';

/**
 * What a command Gantry runs for a step (a gate, a build, a verification) gets so its own spans
 * join the run's trace: TRACEPARENT naming the step's span, as OpenTelemetry SDKs and tools such as
 * otel-cli read it. Only when this server sends traces: otherwise the parent would never arrive and
 * a suite that traces to its own backend would see its traces hang off a missing span.
 */
export function traceEnvironment(run: TracedRun, stepId: number, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  return tracingConfig(env) ? { TRACEPARENT: stepTraceparent(run, stepId) } : {};
}
