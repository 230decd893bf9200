/** Case, dashes and underscores are the commonest slips (`port_offset`, `PortOffset`), so they cost nothing. */
function fold(word: string): string {
  return word.toLowerCase().replace(/[-_]/g, '');
}

/** Optimal string alignment distance: Levenshtein plus swaps of two neighbours (`brnach`). */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array<number>(rows * cols).fill(0);
  const at = (i: number, j: number): number => d[i * cols + j] ?? 0;
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, at(i - 2, j - 2) + 1);
      d[i * cols + j] = best;
    }
  }
  return at(a.length, b.length);
}

/** The candidate nearest to `word`, if one is near enough to be a likely typo of it. */
export function nearest(word: string, candidates: Iterable<string>): string | undefined {
  // Long inputs are not typos of short keys; bounding the length also bounds the work on hostile input.
  if (word.length > 64) return undefined;
  const folded = fold(word);
  const budget = Math.min(3, Math.max(1, Math.floor(folded.length / 3)));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(folded, fold(candidate));
    if (distance <= budget && distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function quoteList(items: readonly string[]): string {
  return items.map((item) => `"${item}"`).join(', ');
}

/**
 * A hint for a name that is not known where it is used: the nearest known name, or the list of
 * known names when none is near (or a note that there are none).
 */
export function suggestionHint(word: string, candidates: readonly string[], noun: string): string {
  const near = nearest(word, candidates);
  if (near !== undefined) return `did you mean "${near}"?`;
  if (candidates.length === 0) return `there are no ${noun}s to choose from`;
  return `known ${noun}s: ${quoteList([...candidates].sort())}`;
}
