/** How an environment's traffic reads in the matrix: one chip per revision that gets any. */
export interface TrafficChip {
  readonly route: 'main' | 'preview';
  readonly revision: number;
  readonly weight: number;
  /** Blue-green only, while two revisions are in play: blue served before, green takes over. */
  readonly colour: 'blue' | 'green' | null;
  readonly label: string;
}

export interface RouteWeights {
  readonly main: Readonly<Record<string, number>>;
  readonly preview: Readonly<Record<string, number>>;
}

export function trafficChips(weights: RouteWeights, strategy: string): TrafficChip[] {
  const live = (route: Readonly<Record<string, number>>): [number, number][] =>
    Object.entries(route)
      .filter(([, w]) => w > 0)
      .map(([r, w]): [number, number] => [Number(r), w])
      .sort(([a], [b]) => a - b);
  const main = live(weights.main);
  const preview = live(weights.preview);
  const revisions = [...new Set([...main, ...preview].map(([r]) => r))].sort((a, b) => a - b);
  const colour = (r: number): 'blue' | 'green' | null => (strategy === 'blue-green' && revisions.length > 1 ? (r === revisions[0] ? 'blue' : 'green') : null);
  const named = (r: number): string => (colour(r) ? `${colour(r)} r${r}` : `r${r}`);
  return [
    ...main.map(([revision, weight]) => ({ route: 'main' as const, revision, weight, colour: colour(revision), label: `${named(revision)} ${weight}%` })),
    ...preview.map(([revision, weight]) => ({ route: 'preview' as const, revision, weight, colour: colour(revision), label: `preview ${named(revision)}` })),
  ];
}
