import type { Clock, TimerHandle } from '../../kernel/clock.js';
import type { Logger } from '../../kernel/logger.js';
import type { Store } from '../../store/store.js';
import type { MirrorRepository } from './repository.js';

export interface BranchPush {
  readonly branch: string;
  readonly sha: string;
  /** The head the branch had before, or null for a new branch. */
  readonly previousSha: string | null;
}

export interface WatcherOptions {
  readonly mirror: MirrorRepository;
  readonly store: Store;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly intervalMs: number;
  readonly onPush: (push: BranchPush) => Promise<void>;
  /**
   * Asked before each push becomes a run (default: always yes). With several servers on one
   * database, a poll that was under way when this server lost the watcher's lease stops there.
   */
  readonly mayPush?: () => boolean;
}

/**
 * Polls the repository's branch heads (cheaply, with ls-remote) and turns each new head into a push.
 * Heads are remembered in the store, so a restarted server neither misses nor repeats a push.
 * On its very first look it only records the heads: an existing repository is not a burst of pushes.
 */
export class GitWatcher {
  private timer: TimerHandle | undefined;
  private polling: Promise<void> | undefined;
  private again = false;
  private looked = false;
  private stopped = false;
  /** Each start begins a new timer chain; a poll of an older chain that ends late schedules nothing. */
  private generation = 0;

  constructor(private readonly o: WatcherOptions) {}

  start(): void {
    this.stopped = false;
    const generation = ++this.generation;
    const schedule = (): void => {
      // A poll still running when stop() was called must not schedule the next one (it would keep a stopped server alive).
      if (this.stopped || generation !== this.generation) return;
      this.timer = this.o.clock.setTimeout(() => void this.poll().finally(schedule), this.o.intervalMs);
    };
    void this.poll().finally(schedule);
  }

  /** Stops polling; resolves once a poll under way has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = undefined;
    await this.polling;
  }

  /** Looks now (the post-receive hook's notify). Concurrent calls share one poll plus one follow-up. */
  poll(): Promise<void> {
    if (this.polling) {
      this.again = true;
      return this.polling;
    }
    this.polling = this.pollOnce()
      .catch((error: unknown) => this.o.logger.warn({ err: error }, 'polling the repository failed; will try again'))
      .finally(() => {
        this.polling = undefined;
        if (this.again) {
          this.again = false;
          void this.poll();
        }
      });
    return this.polling;
  }

  private async pollOnce(): Promise<void> {
    const { mirror, store, clock } = this.o;
    const heads = await mirror.remoteHeads();
    const known = new Map((await store.branches.all()).map((b) => [b.branch, b.sha]));
    const firstLook = known.size === 0 && !this.looked;
    this.looked = true;
    const pushes: BranchPush[] = [];
    for (const [branch, sha] of heads) {
      const before = known.get(branch);
      if (before !== sha) pushes.push({ branch, sha, previousSha: before ?? null });
    }
    const deleted = [...known.keys()].filter((b) => !heads.has(b));
    if (pushes.length === 0 && deleted.length === 0) return;
    await mirror.fetch();
    for (const branch of deleted) await store.branches.remove(branch);
    for (const push of pushes) {
      // Record the head only after the run exists: a crash in between re-triggers rather than loses it.
      if (this.o.mayPush && !this.o.mayPush()) return;
      if (!firstLook) await this.o.onPush(push);
      await store.branches.setHead(push.branch, push.sha, clock.now());
    }
  }
}
