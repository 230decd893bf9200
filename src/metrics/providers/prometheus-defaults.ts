/** How long one PromQL query may take when gantry.yaml's `prometheus.timeout` does not say. Apart from the provider so config reads it without loading an HTTP client. */
export const DEFAULT_PROMETHEUS_TIMEOUT_MS = 10_000;
