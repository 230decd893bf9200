import type { GantryConfig } from '../config/types.js';
import type { Clock } from '../kernel/clock.js';
import type { Logger } from '../kernel/logger.js';

/** Reads a GitHub team's member logins (src/sources/github/team-members.ts). */
export type TeamMembers = (org: string, slug: string) => Promise<readonly string[]>;

/**
 * How long a team's members are reused: a burst of approvals and the approvals page asks once,
 * and someone removed from the team loses the right within this time.
 */
export const TEAM_MEMBERS_TTL_MS = 30_000;

export interface ApproverGroupsOptions {
  readonly clock: Clock;
  readonly logger?: Logger;
  /** Absent: no GitHub token, so a GitHub team's members cannot be read (its approvals are refused). */
  readonly teamMembers?: () => TeamMembers | undefined;
}

/**
 * The members of the @groups an approvers list names, from the pinned config (DESIGN invariant 9):
 * listed in gantry.yaml, or a GitHub team read through the REST API. A team that cannot be read is
 * `null`, so the approval rules refuse rather than guess; failures are not cached.
 */
export class ApproverGroups {
  private readonly cache = new Map<string, { readonly at: number; readonly members: readonly string[] }>();

  constructor(private readonly o: ApproverGroupsOptions) {}

  async resolve(config: GantryConfig, approvers: readonly string[]): Promise<Record<string, readonly string[] | null>> {
    const out: Record<string, readonly string[] | null> = {};
    for (const approver of approvers) {
      const name = approver.slice(1);
      if (!approver.startsWith('@') || !Object.hasOwn(config.groups, name)) continue;
      const group = config.groups[name];
      if (group) out[name] = group.kind === 'users' ? group.users : await this.team(group.org, group.slug);
    }
    return out;
  }

  private async team(org: string, slug: string): Promise<readonly string[] | null> {
    const key = `${org}/${slug}`;
    const now = this.o.clock.now();
    const hit = this.cache.get(key);
    if (hit && now - hit.at < TEAM_MEMBERS_TTL_MS) return hit.members;
    const read = this.o.teamMembers?.();
    if (!read) return null;
    try {
      const members = await read(org, slug);
      this.cache.set(key, { at: now, members });
      return members;
    } catch (error: unknown) {
      this.o.logger?.warn({ err: error, team: key }, `members of the GitHub team ${key} could not be read`);
      return null;
    }
  }
}
