import type { DeploymentStat, DoraRepository } from '../store/repositories/dora-repository.js';

/**
 * Rows created this recently stay out of the kept counts even when finished: on a store whose ids
 * are not handed out in commit order (a Postgres sequence), a slower transaction could still add
 * a lower id. A minute is far longer than any deployment insert takes.
 */
export const SETTLE_LAG_MS = 60_000;

type Key = string;
const keyOf = (s: DeploymentStat): Key => `${s.environment}\u0000${s.service}\u0000${s.state}\u0000${s.bucket}`;

/**
 * Whole-history deployment counts for /metrics without a full-table scan per scrape. A finished
 * deployment never changes again, so the counts of every row up to a mark below which all have
 * finished are kept in memory and only grow; the rows above the mark (in flight, just made) are
 * counted afresh each scrape. A restart starts from mark 0: one full scan, then increments.
 */
export class DeploymentTotals {
  private mark = 0;
  private readonly kept = new Map<Key, DeploymentStat>();
  /** Reads one at a time: two moving the mark at once would count the same rows twice. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly repo: DoraRepository,
    private readonly boundsMs: readonly number[],
  ) {}

  read(now: number): Promise<DeploymentStat[]> {
    const result = this.queue.then(() => this.readNow(now));
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async readNow(now: number): Promise<DeploymentStat[]> {
    const settled = await this.repo.settledUpTo(this.mark, now - SETTLE_LAG_MS);
    if (settled > this.mark) {
      for (const s of await this.repo.deploymentStats(this.boundsMs, this.mark, settled)) add(this.kept, s);
      this.mark = settled;
    }
    const all = new Map(this.kept);
    for (const s of await this.repo.deploymentStats(this.boundsMs, this.mark)) add(all, s);
    return [...all.values()];
  }
}

function add(into: Map<Key, DeploymentStat>, s: DeploymentStat): void {
  const key = keyOf(s);
  const had = into.get(key);
  into.set(key, had ? { ...had, count: had.count + s.count, durationMs: had.durationMs + s.durationMs, manualRollbacks: had.manualRollbacks + s.manualRollbacks } : s);
}
