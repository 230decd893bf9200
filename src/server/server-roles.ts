import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { LeasedRole, type Role } from '../engine/leased-role.js';
import type { Clock } from '../kernel/clock.js';
import type { Logger } from '../kernel/logger.js';
import type { Store } from '../store/store.js';

/** The lease names, the same on every server of one database. */
export const ROLE_LEASES = { sourceWatcher: 'source-watcher', notifications: 'notifications', githubStatuses: 'github-statuses', agentWatch: 'agent-watch' } as const;

/** The watcher's lease lasts one poll interval, within these bounds: a dead poller is replaced within ~1⅓ of it. */
export const MIN_WATCHER_LEASE_MS = 1_000;
export const MAX_WATCHER_LEASE_MS = 15_000;
/** The notification and status roles: a dead holder's role moves on within ~20 s. */
export const DEFAULT_ROLE_LEASE_MS = 15_000;

export interface ServerRolesOptions {
  readonly store: Store;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly sourcePollMs: number;
  readonly watcher: Role;
  readonly notifications: Role;
  readonly statuses: Role;
}

/** A role with no loop of its own: holding it is a permission another loop asks for (`held`). */
const PERMISSION: Role = { start: () => undefined, stop: () => undefined };

export interface ServerRoles {
  /** This server's identity in the leases table: host, process and a per-start nonce. */
  readonly owner: string;
  readonly watcher: LeasedRole;
  readonly notifications: LeasedRole;
  readonly statuses: LeasedRole;
  /**
   * Every server looks at the agents (for its API), but only this lease's holder starts a gone one
   * again and records agent.restarted / agent.down: N servers would otherwise race to revive it and
   * notify N times.
   */
  readonly agentWatch: LeasedRole;
  /** Resolves after each role's first try: on a lone server every role runs when it resolves. */
  start(): Promise<void>;
}

/**
 * The loops that must run on one server at a time when several share a database: the source
 * watcher (two pollers would both turn one push into a run), the notification dispatcher, and the
 * GitHub status reporter (two reporters could post a stale state after a newer one). Each runs only
 * while this server holds its lease; on a lone server the first try always wins.
 */
export function serverRoles(o: ServerRolesOptions): ServerRoles {
  const owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const role = (name: string, ttlMs: number, r: Role): LeasedRole => new LeasedRole({ name, owner, ttlMs, leases: o.store.leases, clock: o.clock, logger: o.logger, role: r });
  const watcherTtl = Math.min(MAX_WATCHER_LEASE_MS, Math.max(MIN_WATCHER_LEASE_MS, o.sourcePollMs));
  const roles = {
    watcher: role(ROLE_LEASES.sourceWatcher, watcherTtl, o.watcher),
    notifications: role(ROLE_LEASES.notifications, DEFAULT_ROLE_LEASE_MS, o.notifications),
    statuses: role(ROLE_LEASES.githubStatuses, DEFAULT_ROLE_LEASE_MS, o.statuses),
    agentWatch: role(ROLE_LEASES.agentWatch, DEFAULT_ROLE_LEASE_MS, PERMISSION),
  };
  return {
    owner,
    ...roles,
    async start() {
      await Promise.all(Object.values(roles).map((r) => r.start()));
    },
  };
}
