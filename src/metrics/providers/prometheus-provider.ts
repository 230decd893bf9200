import { request } from 'undici';
import { promDuration } from '../placeholders.js';
import { measurementError } from '../provider.js';
import type { MeasureWindow, Measurement, MetricProvider, MetricQuery } from '../provider.js';
import { DEFAULT_PROMETHEUS_TIMEOUT_MS } from './prometheus-defaults.js';
import { measurementFromResponse } from './prometheus-response.js';

export interface PrometheusOptions {
  /** Base URL of the Prometheus server (or of a compatible API such as Thanos or Mimir's prefix). */
  readonly url: string;
  /** Longest one query may take, on the wire and in Prometheus's own evaluation. */
  readonly timeoutMs?: number;
  /** Extra request headers, e.g. an Authorization header for a protected server. */
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * PromQL instant queries over Prometheus's HTTP API, evaluated at the end of the window. Every
 * failure (unreachable, timeout, HTTP error, PromQL error) is an `error` measurement carrying
 * Prometheus's own message, never a rejection; only cancelling the analysis rejects.
 */
export class PrometheusProvider implements MetricProvider {
  readonly name = 'prometheus';
  private readonly endpoint: URL;
  private readonly timeoutMs: number;

  constructor(private readonly options: PrometheusOptions) {
    this.endpoint = new URL('api/v1/query', options.url.endsWith('/') ? options.url : `${options.url}/`);
    this.timeoutMs = options.timeoutMs ?? DEFAULT_PROMETHEUS_TIMEOUT_MS;
  }

  async measure(query: MetricQuery, window: MeasureWindow, signal: AbortSignal): Promise<Measurement> {
    // POST keeps long queries out of URL length limits; Prometheus accepts the same form fields.
    const form = new URLSearchParams({ query: query.text, time: (window.end / 1000).toFixed(3), timeout: promDuration(this.timeoutMs) });
    const timeout = AbortSignal.timeout(this.timeoutMs);
    let status: number;
    let text: string;
    try {
      const response = await request(this.endpoint, {
        method: 'POST',
        body: form.toString(),
        headers: { ...this.options.headers, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        signal: AbortSignal.any([signal, timeout]),
      });
      status = response.statusCode;
      text = await response.body.text();
    } catch (error: unknown) {
      if (signal.aborted) throw signal.reason;
      if (timeout.aborted) return measurementError(`Prometheus at ${this.endpoint.origin} did not answer within ${this.timeoutMs} ms`);
      return measurementError(`cannot reach Prometheus at ${this.endpoint.origin}: ${describe(error)}`);
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return measurementError(`Prometheus answered HTTP ${status} with a body that is not JSON: ${text.slice(0, 200).trim()}`);
    }
    return measurementFromResponse(body, status);
  }
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && !error.message.includes(code) ? `${error.message} (${code})` : error.message;
}
