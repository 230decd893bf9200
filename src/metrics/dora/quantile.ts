/**
 * The q-quantile of ascending values by linear interpolation between closest ranks (numpy's
 * default, "type 7"): the median of an even count is the mean of the middle two. Null when empty,
 * so an empty window never yields NaN.
 */
export function quantile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const position = (sorted.length - 1) * Math.min(1, Math.max(0, q));
  const lower = Math.floor(position);
  const low = sorted[lower] ?? 0;
  const high = sorted[Math.min(lower + 1, sorted.length - 1)] ?? low;
  return low + (high - low) * (position - lower);
}

export const ascending = (values: number[]): number[] => values.sort((a, b) => a - b);

/** A share in [0, 1], or null when there is nothing to divide by. */
export const ratio = (count: number, total: number): number | null => (total > 0 ? count / total : null);
