/** A share in [0, 1], or null when there is nothing to divide by. */
export const ratio = (count: number, total: number): number | null => (total > 0 ? count / total : null);

/** A count out of a total, as the rate metrics tally each service. */
export interface CountTally {
  readonly count: number;
  readonly total: number;
}

export function sumTallies(tallies: readonly CountTally[]): CountTally {
  let count = 0;
  let total = 0;
  for (const t of tallies) {
    count += t.count;
    total += t.total;
  }
  return { count, total };
}
