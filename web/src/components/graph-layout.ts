import type { Step } from '../api/types.js';

/** Each step's column is one more than the deepest step it needs: the graph reads left to right. */
export function levels(steps: readonly Step[]): Step[][] {
  const byKey = new Map(steps.map((s) => [s.key, s]));
  const depth = new Map<string, number>();
  const depthOf = (s: Step, seen: Set<string>): number => {
    const known = depth.get(s.key);
    if (known !== undefined) return known;
    if (seen.has(s.key)) return 0;
    seen.add(s.key);
    const d = Math.max(-1, ...s.needs.map((n) => byKey.get(n)).filter((n): n is Step => n !== undefined).map((n) => depthOf(n, seen))) + 1;
    depth.set(s.key, d);
    return d;
  };
  const columns: Step[][] = [];
  for (const s of steps) (columns[depthOf(s, new Set())] ??= []).push(s);
  return columns.filter((c) => c !== undefined);
}
