/**
 * Smooth weighted round-robin (the scheme nginx uses): over any window of `sum(weights)` picks each
 * item is chosen exactly `weight` times, interleaved rather than in bursts, so an 80/20 split holds
 * over a handful of requests, not only on average. Deterministic, no random numbers, O(n) per pick
 * with n the handful of backends of a route.
 */
export class WeightedPicker<T> {
  private readonly items: readonly T[] = [];
  private readonly weights: readonly number[] = [];
  private readonly current: Float64Array;
  private readonly total: number;

  constructor(entries: ReadonlyArray<{ readonly item: T; readonly weight: number }>) {
    const live = entries.filter((e) => e.weight > 0);
    this.items = live.map((e) => e.item);
    this.weights = live.map((e) => e.weight);
    this.current = new Float64Array(live.length);
    this.total = this.weights.reduce((a, b) => a + b, 0);
  }

  /** Undefined when nothing has a weight above zero. */
  pick(): T | undefined {
    const n = this.items.length;
    if (n === 1) return this.items[0];
    if (n === 0) return undefined;
    let best = 0;
    for (let i = 0; i < n; i++) {
      this.current[i]! += this.weights[i]!;
      if (this.current[i]! > this.current[best]!) best = i;
    }
    this.current[best]! -= this.total;
    return this.items[best];
  }
}
