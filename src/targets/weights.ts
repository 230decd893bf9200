/** Route weights compared as a router applies them: a revision with weight 0 is the same as one not listed. */
export function sameWeights(a: Readonly<Record<string, number>>, b: Readonly<Record<string, number>>): boolean {
  const live = (w: Readonly<Record<string, number>>): string[] =>
    Object.entries(w)
      .filter(([, n]) => n > 0)
      .map(([rev, n]) => `${Number(rev)}=${n}`)
      .sort();
  return live(a).join(',') === live(b).join(',');
}
