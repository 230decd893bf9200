import type { EnvironmentConfig } from '../config/types.js';
import { environmentPlacements } from '../config/environment-placements.js';
import type { Store } from '../store/store.js';
import type { RepositoryReader } from './repository-reader.js';

export interface ChangeAuthorsInput {
  readonly sha: string;
  /** Where the run's change starts: the branch's last green commit or merge base; null when unknown. */
  readonly base: string | null;
  readonly environment: EnvironmentConfig | undefined;
  /** The head commit's author, always counted. */
  readonly headAuthor: string;
}

/**
 * Who wrote the change a run brings in, for "never the author" (DESIGN invariant 5): every author
 * of base..sha, not only whoever made the head (often a merge commit by someone else). A dispatch
 * has no base of its own; what it changes is measured from what its environment runs now, when
 * that is an ancestor of the commit.
 */
export async function changeAuthors(store: Store, reader: RepositoryReader, input: ChangeAuthorsInput): Promise<string[]> {
  const from = input.base ?? (await liveAncestor(store, reader, input));
  const others = from !== null && from !== input.sha ? await reader.authors(from, input.sha) : [];
  return [...new Set([input.headAuthor, ...others])];
}

async function liveAncestor(store: Store, reader: RepositoryReader, input: ChangeAuthorsInput): Promise<string | null> {
  const env = input.environment;
  if (!env) return null;
  // With regions each region runs its own release: the oldest of them brings in the most authors.
  let oldest: string | null = null;
  for (const { region } of environmentPlacements(env)) {
    for (const service of env.services) {
      const live = await store.deployments.live(env.name, service, region);
      if (!live || live.release === input.sha || !(await reader.isAncestor(live.release, input.sha))) continue;
      if (region === '') return live.release;
      if (oldest === null || (oldest !== live.release && (await reader.isAncestor(live.release, oldest)))) oldest = live.release;
    }
  }
  return oldest;
}
