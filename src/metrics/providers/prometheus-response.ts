import { z } from 'zod';
import { measurementError, noData } from '../provider.js';
import type { Measurement } from '../provider.js';

/**
 * The slice of Prometheus's HTTP API answer (`/api/v1/query`) the provider reads, validated at the
 * boundary: https://prometheus.io/docs/prometheus/latest/querying/api/#expression-query-result-formats
 */

/** `[ <unix seconds>, "<value>" ]`: Prometheus sends sample values as text ("NaN", "+Inf"). */
const Sample = z.tuple([z.number(), z.string()]);

const QueryData = z.discriminatedUnion('resultType', [
  // `value` is absent for native-histogram series (they carry `histogram`), which have no one number.
  z.object({ resultType: z.literal('vector'), result: z.array(z.object({ metric: z.record(z.string(), z.string()), value: Sample.optional() })) }),
  z.object({ resultType: z.literal('scalar'), result: Sample }),
  z.object({ resultType: z.literal('string'), result: Sample }),
  z.object({ resultType: z.literal('matrix'), result: z.array(z.unknown()) }),
]);

const QueryResponse = z.discriminatedUnion('status', [
  z.object({ status: z.literal('success'), data: QueryData }),
  z.object({ status: z.literal('error'), errorType: z.string().optional(), error: z.string() }),
]);

function sampleValue(text: string): number {
  if (text === '+Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  return Number(text);
}

/** Turns an answer's parsed JSON into a measurement: an empty vector, or only NaN, is no data. */
export function measurementFromResponse(body: unknown, httpStatus: number): Measurement {
  const parsed = QueryResponse.safeParse(body);
  if (!parsed.success) return measurementError(`Prometheus answered HTTP ${httpStatus} with a body that is not a query result`);
  const response = parsed.data;
  if (response.status === 'error') return measurementError(`Prometheus rejected the query (${response.errorType ?? `HTTP ${httpStatus}`}): ${response.error}`);
  const data = response.data;
  switch (data.resultType) {
    case 'scalar': {
      const n = sampleValue(data.result[1]);
      return Number.isNaN(n) ? noData('the query returned NaN') : { kind: 'value', value: n };
    }
    case 'vector': {
      const values = data.result.flatMap((series) => (series.value === undefined ? [] : [sampleValue(series.value[1])])).filter((n) => !Number.isNaN(n));
      if (data.result.length === 0) return noData('the query returned no series (an empty vector): check its labels match this revision');
      if (values.length === 0) return noData('every series of the query is NaN (e.g. 0/0 when nothing was counted)');
      return values.length === 1 ? { kind: 'value', value: values[0] as number } : { kind: 'vector', values };
    }
    case 'matrix':
      return measurementError('the query returns a range vector; an analysis needs one number per series: wrap it, e.g. rate(x[5m])');
    case 'string':
      return measurementError('the query returns a string, not a number');
  }
}
