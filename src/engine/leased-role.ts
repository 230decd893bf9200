import type { Clock, TimerHandle } from '../kernel/clock.js';
import type { Logger } from '../kernel/logger.js';
import type { LeaseRepository } from '../store/repositories/lease-repository.js';

/** Something that works on its own loop and must run on one server of several at a time. */
export interface Role {
  start(): void | Promise<void>;
  stop(): void | Promise<void>;
}

export interface LeasedRoleOptions {
  /** The lease's name, the same on every server: `source-watcher`, `notifications` … */
  readonly name: string;
  /** This server's identity; unique per process (a restarted server is a new owner). */
  readonly owner: string;
  /** How long the lease lasts unless renewed: a dead holder is replaced within this (plus one try). */
  readonly ttlMs: number;
  readonly leases: Pick<LeaseRepository, 'tryAcquire' | 'release'>;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly role: Role;
}

/**
 * Runs a role only while this server holds its lease. Every ttl/3 it takes or renews the lease:
 * the role starts when the lease is won and stops when it is lost (another server took it after
 * this one failed to renew in time) or the store cannot be reached until the lease would have run
 * out. `close()` stops the role and releases the lease, so another server takes over at its next
 * try instead of waiting for the lease to expire.
 */
export class LeasedRole {
  private holding = false;
  /** When the lease this server last renewed runs out; past it the role must not go on. */
  private heldUntil = 0;
  private timer: TimerHandle | undefined;
  private ticking: Promise<void> = Promise.resolve();
  private closed = true;

  constructor(private readonly o: LeasedRoleOptions) {}

  /** True while this server holds the lease and runs the role. */
  get held(): boolean {
    return this.holding;
  }

  /**
   * Starts trying for the lease: a first try at once, then every ttl/3. Resolves after the first
   * try (and the role's start, if it won), so a lone server's roles run once its start returns.
   */
  async start(): Promise<void> {
    if (!this.closed) return this.ticking;
    this.closed = false;
    this.ticking = this.tick().finally(() => this.schedule(this.renewEveryMs));
    return this.ticking;
  }

  private get renewEveryMs(): number {
    return Math.max(1, Math.floor(this.o.ttlMs / 3));
  }

  /** Stops the role if it runs here and releases the lease; further tries end. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.timer?.cancel();
    this.timer = undefined;
    await this.ticking;
    if (!this.holding) return;
    await this.lose('this server is closing');
    await this.o.leases.release(this.o.name, this.o.owner).catch((error: unknown) => {
      this.o.logger.warn({ err: error, lease: this.o.name }, `could not release the ${this.o.name} lease; another server takes it when it expires`);
    });
  }

  private schedule(ms: number): void {
    if (this.closed) return;
    this.timer = this.o.clock.setTimeout(() => {
      this.ticking = this.tick().finally(() => this.schedule(this.renewEveryMs));
    }, ms);
  }

  private async tick(): Promise<void> {
    const { name, owner, ttlMs, clock, logger } = this.o;
    const now = clock.now();
    let won: boolean;
    try {
      won = await this.o.leases.tryAcquire(name, owner, now, ttlMs);
    } catch (error: unknown) {
      logger.warn({ err: error, lease: name }, `could not renew the ${name} lease`);
      if (this.holding && clock.now() >= this.heldUntil) await this.lose('its lease ran out while the store could not be reached');
      return;
    }
    if (this.closed) {
      // close() began during the try: it releases what the try may just have taken.
      this.holding ||= won;
      return;
    }
    if (won) {
      this.heldUntil = now + ttlMs;
      if (this.holding) return;
      this.holding = true;
      logger.info({ lease: name, owner }, `this server (${owner}) now holds ${name}`);
      try {
        await this.o.role.start();
      } catch (error: unknown) {
        logger.error({ err: error, lease: name }, `${name} failed to start; it is tried again at the next renewal`);
        this.holding = false;
        await this.o.leases.release(name, owner).catch(() => undefined);
      }
    } else if (this.holding) {
      await this.lose('another server took its lease');
    }
  }

  private async lose(why: string): Promise<void> {
    this.holding = false;
    this.o.logger.info({ lease: this.o.name, owner: this.o.owner }, `this server (${this.o.owner}) stops ${this.o.name}: ${why}`);
    try {
      await this.o.role.stop();
    } catch (error: unknown) {
      this.o.logger.error({ err: error, lease: this.o.name }, `${this.o.name} did not stop cleanly`);
    }
  }
}
