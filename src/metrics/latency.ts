/**
 * The 99th percentile, as an upper bound, from a cumulative histogram (upper bound in ms → count of
 * requests at or below it, with `+Inf` holding the total), the shape Prometheus uses.
 */
export function p99FromBuckets(buckets: Readonly<Record<string, number>>): number | undefined {
  const entries = Object.entries(buckets)
    .map(([bound, n]) => [bound === '+Inf' ? Number.POSITIVE_INFINITY : Number(bound), n] as const)
    .sort((a, b) => a[0] - b[0]);
  const total = entries.at(-1)?.[1] ?? 0;
  if (total <= 0) return undefined;
  return entries.find(([, n]) => n >= total * 0.99)?.[0];
}
