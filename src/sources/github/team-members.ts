import type { GitHubConfig } from '../../config/types.js';
import type { TeamMembers } from '../../engine/approver-groups.js';
import type { Logger } from '../../kernel/logger.js';
import { GantryError } from '../../errors/index.js';
import type { SecretSource } from '../../secrets/source.js';
import { createGitHubClient, githubToken, type GitHubClient } from './github-client.js';

const PER_PAGE = 100;
/** 5,000 members: far past any approver team; a bound so a misbehaving API cannot keep us paging. */
const MAX_PAGES = 50;
/** Someone is waiting to approve (or for the approvals page): a team GitHub cannot list in time is unreadable. */
const TEAM_READ_TIMEOUT_MS = 10_000;
const enc = encodeURIComponent;

/**
 * The logins of a team's members, every page of `GET /orgs/{org}/teams/{team_slug}/members`
 * (docs.github.com/rest/teams/members#list-team-members; members of child teams included, as
 * GitHub lists them). A page shorter than `per_page` is the last.
 */
export async function listTeamMembers(client: GitHubClient, org: string, slug: string): Promise<string[]> {
  const logins: string[] = [];
  const signal = AbortSignal.timeout(TEAM_READ_TIMEOUT_MS);
  for (let page = 1; page <= MAX_PAGES; page++) {
    const path = `/orgs/${enc(org)}/teams/${enc(slug)}/members?per_page=${PER_PAGE}&page=${page}`;
    const { data } = await client.send({ method: 'GET', path, signal });
    if (!Array.isArray(data)) throw new GantryError('GITHUB_API_FAILED', `GET ${path} did not answer a list of members`, { hint: 'Check `github.apiUrl`.' });
    for (const member of data as unknown[]) {
      const login = (member as { login?: unknown } | null)?.login;
      if (typeof login === 'string') logins.push(login);
    }
    if (data.length < PER_PAGE) break;
  }
  return logins;
}

/**
 * Reads GitHub teams with the pinned config's `github.token`; undefined when there is no `github:`
 * or the token's secret is not set (then a team group's approvals are refused, never guessed).
 */
export function githubTeamMembers(github: GitHubConfig | undefined, secrets: SecretSource, logger?: Logger): TeamMembers | undefined {
  const token = githubToken(github, secrets);
  if (!github || !token) return undefined;
  // One retry: a person waits on this answer; a team that cannot be read refuses, and they can try again.
  const client = createGitHubClient({ token, retries: 1, ...(github.apiUrl ? { apiUrl: github.apiUrl } : {}), ...(logger ? { logger } : {}) });
  return (org, slug) => listTeamMembers(client, org, slug);
}
