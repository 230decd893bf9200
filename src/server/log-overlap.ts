/**
 * Following a log that a target only shows as "its last N lines" (Target.logs): each poll reads the
 * last `window` lines again, and the lines not yet sent are those after the longest run of fetched
 * lines that repeats the end of what was seen. Pure.
 *
 * The limit, documented in docs/api.md: lines are matched by text against the whole previous read,
 * so only when that read is periodic (a service printing the same line, or the same few lines, over
 * and over) can new repetitions be taken for old ones, and are then not sent. A poll that finds no overlap
 * (more than `window` new lines since the last, or a log that started over) sends the whole window
 * and says lines may have been missed.
 */
export interface OverlapResult {
  /** The lines not sent yet, oldest first. */
  readonly fresh: readonly string[];
  /** No overlap was found: lines between the two polls may be missing. */
  readonly gap: boolean;
}

const equalRun = (a: readonly string[], aStart: number, b: readonly string[], bStart: number, length: number): boolean => {
  for (let i = 0; i < length; i++) if (a[aStart + i] !== b[bStart + i]) return false;
  return true;
};

/**
 * `seen`: the last lines read before (what was already sent ends it); `fetched`: the last lines read
 * now, a window of any size. The old lines end where the most of `seen`'s last lines line up, as
 * late in `fetched` as possible (the fewest new lines).
 */
export function newLines(seen: readonly string[], fetched: readonly string[]): OverlapResult {
  if (seen.length === 0) return { fresh: fetched, gap: false };
  for (let end = fetched.length; end >= 1; end--) {
    const length = Math.min(seen.length, end);
    if (equalRun(fetched, end - length, seen, seen.length - length, length)) return { fresh: fetched.slice(end), gap: false };
  }
  return { fresh: fetched, gap: fetched.length > 0 };
}
