/** The service name spans carry when OTEL_SERVICE_NAME does not say one. */
export const DEFAULT_SERVICE_NAME = 'gantry';

export interface TracingConfig {
  /** Where spans go, as the user gave it (the exporter reads the same variables, headers included). */
  readonly endpoint: string;
  readonly serviceName: string;
}

/**
 * Whether the server sends traces, from the standard OpenTelemetry variables: an OTLP endpoint for
 * all signals or for traces alone, unless OTEL_SDK_DISABLED or OTEL_TRACES_EXPORTER=none turns it
 * off. Without one, nothing of the SDK is loaded and no gate gets a TRACEPARENT.
 */
export function tracingConfig(env: NodeJS.ProcessEnv = process.env): TracingConfig | undefined {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return undefined;
  if (env.OTEL_TRACES_EXPORTER?.trim().toLowerCase() === 'none') return undefined;
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  if (!endpoint) return undefined;
  return { endpoint, serviceName: env.OTEL_SERVICE_NAME?.trim() || DEFAULT_SERVICE_NAME };
}
